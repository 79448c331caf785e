"""Catalogues the lab's organisation is drawn from. Every name, address and app is fictional;
IP addresses come from the documentation ranges (RFC 5737) unless a scenario needs another."""

from __future__ import annotations

from typing import NamedTuple

from tools.shared import sha256_hex

DOMAIN = "lab.example"
AWS_ACCOUNT = "111122223333"


class GroupSpec(NamedTuple):
    id: str
    name: str
    description: str
    privileged: bool
    grants: tuple[str, ...]


# One row per group reads better than the formatter's one field per line.
# fmt: off
GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("g-okta-superadmins", "Okta Super Admins", "Directory super administrators",
              True, ("okta:SuperAdmin",)),
    GroupSpec("g-aws-admins", "AWS Administrators", "Full administrative access to AWS",
              True, ("aws:AdministratorAccess",)),
    GroupSpec("g-github-owners", "GitHub Org Owners", "Owners of the source organisation",
              True, ("github:org-owner",)),
    GroupSpec("g-prod-deployers", "Production Deployers", "May deploy to production",
              True, ("aws:PowerUserAccess", "k8s:prod:cluster-admin")),
    GroupSpec("g-finance-admins", "Finance System Admins", "Administer the finance system",
              True, ("erp:Administrator", "aws:Billing")),
    GroupSpec("g-break-glass", "Break-glass Emergency Access", "Sealed emergency access",
              True, ("aws:AdministratorAccess", "okta:SuperAdmin")),
    GroupSpec("g-security", "Security Team", "Security operations read access",
              False, ("siem:read", "okta:ReadOnlyAdmin", "aws:SecurityAudit")),
    GroupSpec("g-engineering", "Engineering", "All engineers",
              False, ("github:member", "aws:ReadOnlyAccess")),
    GroupSpec("g-sales", "Sales", "Sales team", False, ("crm:user",)),
    GroupSpec("g-finance", "Finance", "Finance team", False, ("erp:user",)),
    GroupSpec("g-data-analysts", "Data Analysts", "Warehouse readers",
              False, ("warehouse:read",)),
    GroupSpec("g-all-staff", "All Staff", "Everyone employed",
              False, ("mail:user", "wiki:edit", "chat:user")),
    GroupSpec("g-ci-automation", "CI Automation", "Build and deploy automation",
              False, ("aws:ECRPush", "aws:ECSDeploy", "s3:artifacts:write")),
)
# fmt: on

DEPARTMENT_GROUPS = {
    "Engineering": "g-engineering",
    "Sales": "g-sales",
    "Finance": "g-finance",
    "Data": "g-data-analysts",
    "Security": "g-security",
    "Identity Engineering": "g-security",
}

DEPARTMENT_TITLES = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Engineer"),
    "Sales": ("Account Executive", "Sales Manager", "Sales Engineer"),
    "Finance": ("Accountant", "Financial Analyst", "Controller"),
    "Data": ("Data Analyst", "Data Engineer"),
    "Security": ("Security Analyst", "Security Engineer"),
    "Marketing": ("Marketing Manager", "Content Strategist"),
    "Customer Success": ("Support Specialist", "Customer Success Manager"),
    "People": ("People Partner", "Recruiter"),
    "Legal": ("Counsel", "Paralegal"),
}


class PersonSpec(NamedTuple):
    name: str
    department: str
    title: str
    slack_user_id: str | None
    groups: tuple[str, ...]
    country: str = "US"


# The approvers policy.yaml names, and the people the demo scenarios happen to.
# fmt: off
NAMED_PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("Ana Lima", "Identity Engineering", "Head of Identity", "U0IDADMIN1",
               ("g-okta-superadmins", "g-aws-admins"), "PT"),
    PersonSpec("David Okafor", "Identity Engineering", "Identity Engineer", "U0IDADMIN2",
               ("g-okta-superadmins",), "GB"),
    PersonSpec("Sofia Rossi", "Identity Engineering", "Identity Engineer", "U0IDADMIN3",
               ("g-okta-superadmins",)),
    PersonSpec("Kenji Sato", "Engineering", "Cloud Platform Lead", "U0CLOUDADM1",
               ("g-aws-admins", "g-github-owners")),
    PersonSpec("Maria Chen", "Engineering", "Senior Software Engineer", None,
               ("g-prod-deployers",)),
    PersonSpec("Tom Becker", "Sales", "Account Executive", None, (), "DE"),
    PersonSpec("Lee Park", "Engineering", "Software Engineer", None, ()),
)
# fmt: on

# fmt: off
FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "Diego", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Mina", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tara",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Arjun", "Bea", "Chloe", "Dmitri",
)
LAST_NAMES = (
    "Adams", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Oliveira", "Petrov", "Quinlan",
    "Reyes", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young", "Zimmer",
)
# fmt: on

GENERATED_PEOPLE = 41  # with the 7 named people and 2 break-glass accounts: 50 people
BREAK_GLASS_IDS = ("break-glass-01", "break-glass-02")

COUNTRIES = ("US", "US", "US", "GB", "DE", "PT", "BR", "JP", "IN", "CA")

# (id, owner id, groups)
SERVICE_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("svc-ci-deployer", "p-kenji-sato", ("g-ci-automation", "g-prod-deployers")),
    ("svc-terraform", "p-kenji-sato", ("g-aws-admins",)),
    ("svc-backup", "p-kenji-sato", ("g-ci-automation",)),
    ("svc-monitoring", "p-kenji-sato", ()),
    ("svc-log-shipper", "p-kenji-sato", ()),
    ("svc-data-etl", "p-maria-chen", ("g-data-analysts",)),
    ("svc-billing-export", "p-ana-lima", ()),
    ("svc-artifact-publisher", "p-kenji-sato", ("g-ci-automation",)),
    ("svc-dns-updater", "p-kenji-sato", ()),
    ("svc-dr-replication", "p-kenji-sato", ("g-prod-deployers",)),
    ("svc-secrets-rotator", "p-ana-lima", ("g-okta-superadmins",)),
    ("svc-analytics-reader", "p-maria-chen", ("g-data-analysts",)),
    ("svc-payments-webhook", "p-kenji-sato", ()),
    ("svc-mail-relay", "p-david-okafor", ()),
    ("svc-vuln-scanner", "p-sofia-rossi", ("g-security",)),
    ("svc-sso-sync", "p-ana-lima", ("g-okta-superadmins",)),
    ("svc-cost-reporter", "p-kenji-sato", ()),
    ("svc-search-indexer", "p-maria-chen", ()),
    ("svc-legacy-ftp", "p-david-okafor", ()),
    ("svc-release-bot", "p-kenji-sato", ("g-github-owners",)),
)

AWS_REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-west-1")

# OAuth apps people consent to: (name, scopes). Risk comes from the scopes (see RISKY_SCOPES).
EVERYDAY_APPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Calendar Bridge", ("calendar.read", "profile")),
    ("Diagram Studio", ("files.read", "profile")),
    ("Expense Snap", ("profile", "email")),
    ("Docs Signer", ("files.read", "profile")),
    ("Meeting Notes Helper", ("calendar.read", "profile")),
    ("Team Polls", ("profile",)),
)
MAIL_SORTER = ("Mail Sorter Pro", ("mail.read", "offline_access"))
PDF_CONVERTER = ("PDF Converter Free", ("files.read.all", "offline_access"))

RISKY_SCOPES = frozenset(
    ("mail.read", "mail.readwrite", "mail.send", "files.read.all", "files.readwrite.all",
     "directory.readwrite.all")
)  # fmt: skip

BROWSERS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
API_CLIENTS = ("aws-sdk-go/1.51.2 (go1.22; linux; amd64)", "Boto3/1.34.90 Python/3.11.9 Linux")


def is_risky(scopes: tuple[str, ...] | list[str]) -> bool:
    return any(scope in RISKY_SCOPES for scope in scopes)


def person_id(name: str) -> str:
    return "p-" + name.lower().replace(" ", "-")


def person_email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@" + DOMAIN


def aws_user_arn(user: str) -> str:
    return f"arn:aws:iam::{AWS_ACCOUNT}:user/{user}"


def sha_label(prefix: str, text: str) -> str:
    """A stable id derived from a name, so an app keeps its id whatever the seed."""
    return prefix + sha256_hex(text)[:12]
