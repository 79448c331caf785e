"""Triage in Slack: the publisher that posts triage results, its workers and analysts' feedback."""
