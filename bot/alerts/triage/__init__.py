"""Triaging alerts: the queue and its workers, groups, the triage run, verdicts and the
publisher protocol."""
