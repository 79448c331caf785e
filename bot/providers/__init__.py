"""Several identity providers at once: which provider owns a target, and its credentials."""
