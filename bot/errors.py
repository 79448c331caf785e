"""One exception tree for socbot. Every error carries a message a user can act on.

SocbotError
├── ConfigError              settings missing or malformed
│   ├── MappingFileError     an alert mappings file refused (file, line, reason)
│   ├── EncodingUnavailable  a token encoding would have to be downloaded
│   └── RulesError           a detection rules file refused (file, line, reason)
├── PolicyError              policy.yaml refused (file, line, reason)
├── MappingProblem           one node of an alert mappings file is wrong (its YAML path)
├── SelectionError           a detection rule's field test that cannot work
├── ToolArgumentError        arguments outside the tool's schema or policy constraints
├── CredentialError          the broker could not issue, revoke or verify a credential
├── ApprovalError            an approval does not count (who, why)
├── AuditWriteError          the audit log could not be written: the action stops
├── AuditIntegrityError      the chain does not verify
├── LimitExceeded            a per-task limit (turns, tool calls, tokens, seconds) was hit
├── ModelError               the model could not be reached or answered nonsense
├── BlockKitError            a Slack message value that cannot be cut is over Slack's limit
├── BodyTooLarge             a streamed request body went past its cap (Slack events)
└── AlertError               an alert could not be taken in
    ├── AlertRejected        an event that cannot become an Alert (reason safe to show)
    │   └── MissingEventTime the event has no readable time
    └── IntakeUnavailable    the database could not store the alert; the sender should retry
        └── IntakeBusy       the database did not answer within the deadline

RetryLater                   not a failure to show: a call to make again at retry_at (a Slack
│                            method backing off, a triage round put off); not in EXPECTED_ERRORS
└── SlackBackingOff          Slack is failing this method: the call was not made or failed
                             (raised by slack/paced_client.py as a SlackApiError too)

ProviderError (tools.errors, re-exported: providers raise them and know nothing of bot/)
├── NotFound                 the identity, key, grant or group does not exist
└── CredentialRefused        the provider refused the presented credential

AwsError (tools.errors: the AWS provider's own; bot/providers/router.py maps them onto the above)
├── AwsNotFound              the user, role, key or group does not exist in the account
├── AwsCredentialRefused     AWS refused the presented credential
└── AwsUnsupported           the operation has no AWS IAM counterpart

EXPECTED_ERRORS is what a caller catches to turn any of these into a message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tools.errors import CredentialRefused, NotFound, ProviderError

__all__ = [
    "EXPECTED_ERRORS",
    "AlertError",
    "AlertRejected",
    "ApprovalError",
    "AuditIntegrityError",
    "AuditWriteError",
    "BlockKitError",
    "BodyTooLarge",
    "ConfigError",
    "CredentialError",
    "CredentialRefused",
    "EncodingUnavailable",
    "IntakeBusy",
    "IntakeUnavailable",
    "LimitExceeded",
    "MappingFileError",
    "MappingProblem",
    "MissingEventTime",
    "ModelError",
    "NotFound",
    "PolicyError",
    "ProviderError",
    "RetryLater",
    "RulesError",
    "SelectionError",
    "SlackBackingOff",
    "SocbotError",
    "ToolArgumentError",
]


class SocbotError(Exception):
    """Base of every error socbot raises on purpose."""


class ConfigError(SocbotError):
    """Settings missing or malformed; the message names the setting."""


class MappingFileError(ConfigError):
    """A mappings file socbot refuses to load; `file` and `line` say where to look."""

    def __init__(self, reason: str, *, file: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        super().__init__(f"{file}{f':{line}' if line is not None else ''}: {reason}")


class EncodingUnavailable(ConfigError):
    """A token encoding is not available offline; loading it would reach the internet."""


class RulesError(ConfigError):
    """A detection rules file socbot refuses to load; `file` and `line` say where to look."""

    def __init__(self, reason: str, *, file: str, line: int | None = None) -> None:
        self.file, self.line, self.reason = file, line, reason
        super().__init__(f"{file}{f':{line}' if line else ''}: {reason}")


class PolicyError(SocbotError):
    """policy.yaml refused; `file` and `line` say where to look."""

    def __init__(self, reason: str, *, file: str = "", line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        where = file + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class MappingProblem(SocbotError):
    """What is wrong with a mappings file and where (the node's path in the YAML document)."""

    def __init__(self, path: tuple[str | int, ...], reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(reason)


class SelectionError(SocbotError):
    """A detection rule's selection key or value that cannot work; the loader adds file:line."""


class ToolArgumentError(SocbotError):
    """Arguments outside the tool's schema or the policy's constraints."""


class CredentialError(SocbotError):
    """The broker could not issue, revoke or verify a credential."""


class ApprovalError(SocbotError):
    """An approval does not count; the message says who and why."""


class AuditWriteError(SocbotError):
    """The audit log could not be written: the action stops."""


class AuditIntegrityError(SocbotError):
    """The audit chain does not verify."""


class LimitExceeded(SocbotError):
    """A per-task limit (turns, tool calls, tokens, seconds) was reached."""

    def __init__(self, limit: str, used: float, allowed: float) -> None:
        self.limit = limit
        self.used = used
        self.allowed = allowed
        super().__init__(f"task limit reached: {limit} ({used:g} of {allowed:g})")


class ModelError(SocbotError):
    """The model could not be reached or answered nonsense."""


class BlockKitError(SocbotError):
    """A value that cannot be cut without changing what it means is over Slack's limit."""


class BodyTooLarge(SocbotError):
    """A streamed request body went past its byte cap; read no further."""


class AlertError(SocbotError):
    """An alert could not be taken in."""


class AlertRejected(AlertError):
    """An event that cannot become an Alert. `reason` is short and safe to show a sender."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class MissingEventTime(AlertRejected):
    """The event carries no readable time. Intake may time it on arrival instead (marked so)."""


class IntakeUnavailable(AlertError):
    """The database could not store the alert: nothing was kept; the sender should retry."""


class IntakeBusy(IntakeUnavailable):
    """The database did not answer within the deadline (a lock held, a slow statement)."""


class RetryLater(Exception):
    """A call was not made, or failed in a way worth retrying: try again at retry_at (UTC)."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        Exception.__init__(self, message)  # not super(): SlackBackingOff joins SlackApiError
        self.retry_at = retry_at


class SlackBackingOff(RetryLater):
    """Slack is failing this method; the call was not made or failed; retry at retry_at.

    This module imports no Slack library, so bot.slack.paced_client raises it joined with
    slack_sdk's SlackApiError: code that handles Slack's refusals handles it too, and code that
    can schedule a retry catches it as a RetryLater. `response` is Slack's answer, or a
    stand-in whose error is "socbot_backing_off" when the call was not sent."""

    def __init__(self, message: str, response: Any, retry_at: datetime) -> None:
        RetryLater.__init__(self, f"{message}\nThe server responded with: {response}", retry_at)
        self.response = response


EXPECTED_ERRORS: tuple[type[Exception], ...] = (SocbotError, ProviderError)
