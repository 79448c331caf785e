"""The weekly governance digest: KPIs from the audit log, formats, chart, the post."""
