"""Answering analysts in Slack threads: the conversation task, its prompt and the stored thread."""
