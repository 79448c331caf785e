"""One exception tree for socbot. Every error carries a message a user can act on.

SocbotError
├── ConfigError            settings missing or malformed
├── PolicyError            policy.yaml refused (file, line, reason)
├── ToolArgumentError      arguments outside the tool's schema or policy constraints
├── PolicyDenied           the gate said no (rule and reason)
├── CredentialError        a credential could not be issued, was refused or revoked
├── ProviderError          the provider refused or failed an operation
│   └── NotFound           the identity, key, grant or group does not exist
├── ApprovalError          an approval does not count (who, why)
├── ActionVoided           an approved action no longer matches tool, args, target or policy
├── AuditWriteError        the audit log could not be written: the action stops
├── AuditIntegrityError    the chain does not verify
├── LimitExceeded          a per-task limit (turns, tool calls, tokens, seconds) was hit
├── ModelError             the model could not be reached or answered nonsense
└── AlertError             an alert could not be read or normalized
"""

from __future__ import annotations


class SocbotError(Exception):
    """Base of every error socbot raises on purpose."""


class ConfigError(SocbotError):
    pass


class PolicyError(SocbotError):
    def __init__(self, reason: str, *, file: str = "", line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        where = file + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class ToolArgumentError(SocbotError):
    pass


class PolicyDenied(SocbotError):
    def __init__(self, reason: str, *, rule: str) -> None:
        self.rule = rule
        self.reason = reason
        super().__init__(f"denied by {rule}: {reason}")


class CredentialError(SocbotError):
    pass


class ProviderError(SocbotError):
    pass


class NotFound(ProviderError):
    pass


class ApprovalError(SocbotError):
    pass


class ActionVoided(SocbotError):
    pass


class AuditWriteError(SocbotError):
    pass


class AuditIntegrityError(SocbotError):
    pass


class LimitExceeded(SocbotError):
    def __init__(self, limit: str, used: float, allowed: float) -> None:
        self.limit = limit
        self.used = used
        self.allowed = allowed
        super().__init__(f"task limit reached: {limit} ({used:g} of {allowed:g})")


class ModelError(SocbotError):
    pass


class AlertError(SocbotError):
    pass
