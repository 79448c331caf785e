"""Pure Block Kit builders and escaping: approval cards, triage posts, their parts."""
