"""Approvals in Slack: posting and redrawing cards, reactions and reactors, user groups,
containment."""
