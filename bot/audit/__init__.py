"""The append-only, hash-chained audit log: writing, triggers, verification, export and lineage."""
