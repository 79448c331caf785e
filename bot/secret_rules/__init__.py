"""Secret-finding rules for the redactor: gitleaks' maintained rule set, socbot's own formats,
and the exact secrets socbot issued (see bot.redaction for how they are combined).

gitleaks.toml is gitleaks' default configuration, copied unmodified from
github.com/gitleaks/gitleaks (config/gitleaks.toml at commit b58d3f10) under the MIT licence in
LICENSE.gitleaks. To update it, replace the file and run tests/secret_rules.
"""
