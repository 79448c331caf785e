"""Tasks and their credentials: task records and runner, the credential broker, its backends
and sweeper."""
