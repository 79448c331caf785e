"""The executor: decide a tool call (run, draft, park, deny), run it with a fresh credential,
and run approved actions."""
