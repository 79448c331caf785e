"""Generic JSON sources described by YAML mappings (bundled: Auth0, OneLogin, Duo, 1Password)."""
