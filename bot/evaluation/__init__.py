"""Measure triage against labelled events: `socbot eval`."""
