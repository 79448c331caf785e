"""How socbot reaches one AWS account: endpoint, region, allowed accounts, credential strategy."""

from __future__ import annotations

from dataclasses import dataclass, field

STRATEGIES = ("sts", "iam_user")


@dataclass(frozen=True)
class AwsConfig:
    """One AWS provider's settings. `endpoint_url` points the same code at a local AWS API."""

    region: str = "us-east-1"
    endpoint_url: str | None = None
    accounts: frozenset[str] = field(default_factory=frozenset)
    role_arn: str | None = None  # the socbot-managed role the sts strategy assumes
    strategy: str = "sts"
    user_path: str = "/socbot/"  # where the iam_user strategy creates its per-call users
    partition: str = "aws"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"aws credential strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}"
            )
        if not (self.user_path.startswith("/") and self.user_path.endswith("/")):
            raise ValueError(f"aws user path {self.user_path!r} must start and end with '/'")

    def allows_account(self, account: str) -> bool:
        return not self.accounts or account in self.accounts
