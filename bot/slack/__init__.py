"""The Slack front end: Bolt app, listeners, Block Kit builders, the HTTP server."""
