"""Shared test helpers: scripted models, stand-ins (Slack, loopback HTTP), scenes and checks."""
