"""Alerts: the Alert model, vendor sources, compaction, intake and the triage queue."""
