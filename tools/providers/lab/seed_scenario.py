"""The demo scenarios: five identities with something suspicious in their last hour.

- p-maria-chen: MFA push fatigue, twelve denied pushes then one approved, from a new country.
- svc-ci-deployer: its access key suddenly used from an unknown IP in a new region.
- p-tom-becker: consented to a risky OAuth app that reads mail offline.
- p-lee-park: newly added to an administrators group.
- break-glass-01: the sealed emergency account signed in.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from tools.providers.lab.seed_builder import Home, LabBuilder
from tools.providers.lab.seed_data import BROWSERS, MAIL_SORTER

MFA_FATIGUE_VICTIM = "p-maria-chen"
MFA_FATIGUE_IP = "185.220.101.34"
MFA_PUSHES_DENIED = 12
CI_DEPLOYER = "svc-ci-deployer"
CI_DEPLOYER_KEY = "AKIAEXAMPLECIDEPLOY1"
CI_DEPLOYER_ODD_IP = "203.0.113.77"
CI_DEPLOYER_ODD_REGION = "ap-southeast-1"
OAUTH_CONSENTER = "p-tom-becker"
NEW_ADMIN = "p-lee-park"
NEW_ADMIN_GROUP = "g-aws-admins"
BREAK_GLASS_SIGNED_IN = "break-glass-01"
BREAK_GLASS_KEY = "AKIAEXAMPLEBRKGLS001"

RECON_CALLS = (
    ("sts:GetCallerIdentity", "success"),
    ("iam:ListUsers", "success"),
    ("iam:ListAttachedUserPolicies", "success"),
    ("ec2:DescribeInstances", "success"),
    ("iam:CreateUser", "denied"),
)


def add_mfa_fatigue(builder: LabBuilder) -> None:
    victim = next(i for i in builder.rows.identities if i.id == MFA_FATIGUE_VICTIM)
    victim.mfa_factors, victim.mfa_enrolled = ["push"], True
    attacker = Home(MFA_FATIGUE_IP, "DE", BROWSERS[1])
    from_attacker = partial(builder.add_event, victim.id, home=attacker)
    start = builder.ago(minutes=52)
    from_attacker(start, "login", "mfa_required", detail="password accepted, new device")
    for n in range(MFA_PUSHES_DENIED):
        pushed = start + timedelta(minutes=1 + 1.5 * n)
        from_attacker(pushed, "mfa_push", "denied", detail="push to enrolled phone denied")
    approved = builder.ago(minutes=28)
    pushes = f"approved after {MFA_PUSHES_DENIED} denied pushes"
    from_attacker(approved, "mfa_push", "approved", detail=pushes)
    from_attacker(approved, "login", "success", detail="first sign-in from this country")
    top_up_home_sessions(builder, victim.id, wanted=2)
    builder.add_session(victim.id, approved, home=attacker)


def top_up_home_sessions(builder: LabBuilder, identity_id: str, *, wanted: int) -> None:
    active = [
        s
        for s in builder.rows.sessions
        if s.identity_id == identity_id and s.revoked_at is None and s.expires_at > builder.now
    ]
    for _ in range(wanted - len(active)):
        builder.add_session(identity_id, builder.ago(hours=builder.rng.randint(2, 9)))


def add_key_used_from_new_region(builder: LabBuilder) -> None:
    intruder = Home(CI_DEPLOYER_ODD_IP, "SG", "python-requests/2.31.0", CI_DEPLOYER_ODD_REGION)
    last_call = builder.ago(minutes=12)
    builder.add_key(
        CI_DEPLOYER,
        key_id=CI_DEPLOYER_KEY,
        created_at=builder.ago(days=410),
        last_used_at=last_call,
        last_used_ip=intruder.ip,
        last_used_region=intruder.region,
    )
    for steps_back, (action, outcome) in enumerate(reversed(RECON_CALLS)):
        at = last_call - timedelta(minutes=2 * steps_back)
        detail = f"key {CI_DEPLOYER_KEY} region {intruder.region} {action}"
        builder.add_event(CI_DEPLOYER, at, "api_call", outcome, home=intruder, detail=detail)


def add_risky_oauth_consent(builder: LabBuilder) -> None:
    consented = builder.ago(hours=2)
    builder.add_grant(OAUTH_CONSENTER, MAIL_SORTER, consented)
    name, scopes = MAIL_SORTER
    builder.add_event(
        OAUTH_CONSENTER,
        consented,
        "oauth_consent",
        "success",
        detail=f"consented to {name} ({', '.join(scopes)})",
    )


def add_new_admin(builder: LabBuilder) -> None:
    added = builder.ago(minutes=40)
    builder.add_membership(NEW_ADMIN, NEW_ADMIN_GROUP, added_at=added, added_by="svc-sso-sync")
    builder.add_event(
        NEW_ADMIN,
        added,
        "group_added",
        "success",
        home=builder.homes["svc-sso-sync"],
        detail=f"added to {NEW_ADMIN_GROUP} by svc-sso-sync",
    )


def add_break_glass_sign_in(builder: LabBuilder) -> None:
    builder.add_key(
        BREAK_GLASS_SIGNED_IN, key_id=BREAK_GLASS_KEY, created_at=builder.ago(days=1500)
    )
    signed_in = builder.ago(minutes=25)
    home = Home("198.51.100.23", "US", BROWSERS[0])
    builder.add_event(
        BREAK_GLASS_SIGNED_IN,
        signed_in,
        "login",
        "success",
        home=home,
        detail="break-glass account sign-in outside a scheduled test",
    )
    builder.add_event(BREAK_GLASS_SIGNED_IN, signed_in, "mfa_webauthn", "approved", home=home)
    builder.add_session(BREAK_GLASS_SIGNED_IN, signed_in, home=home)


def add_scenarios(builder: LabBuilder) -> None:
    add_mfa_fatigue(builder)
    add_key_used_from_new_region(builder)
    add_risky_oauth_consent(builder)
    add_new_admin(builder)
    add_break_glass_sign_in(builder)
