"""The embedded lab provider: a simulated organisation in the project database that checks
every call's credential, so per-task credentials are enforced, not decorative."""

from tools.providers.lab.operator import describe_identity_for_operator, lab_overview
from tools.providers.lab.provider import SCOPES, LabProvider
from tools.providers.lab.seed import SeedSummary, seed_lab

__all__ = [
    "SCOPES",
    "LabProvider",
    "SeedSummary",
    "describe_identity_for_operator",
    "lab_overview",
    "seed_lab",
]
