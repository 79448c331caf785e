"""What operators watch: structured logs (logs), Prometheus metrics (metrics, scrape).

Logs carry the task and alert ids of the work in hand on every line (log_context); metrics
count what the audit log records as it is recorded (observe_event) and read queue depth,
pending approvals and live credentials from the database at scrape time.
"""
