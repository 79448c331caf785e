"""socbot: a Slack SOC copilot for identity alerts with bounded autonomy."""

__version__ = "0.1.0"
