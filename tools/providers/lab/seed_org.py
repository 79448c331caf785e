"""The lab's everyday organisation: groups, people, service accounts and their routine
footprint (keys, OAuth grants, sessions, a week of sign-ins and API calls)."""

from __future__ import annotations

from tools.providers.lab.models import (
    INACTIVE,
    PERSON,
    SERVICE_ACCOUNT,
    SUSPENDED,
    LabGroup,
    LabIdentity,
)
from tools.providers.lab.seed_builder import Home, LabBuilder
from tools.providers.lab.seed_data import (
    API_CLIENTS,
    AWS_REGIONS,
    BREAK_GLASS_IDS,
    BROWSERS,
    COUNTRIES,
    DEPARTMENT_GROUPS,
    DEPARTMENT_TITLES,
    DOMAIN,
    EVERYDAY_APPS,
    FIRST_NAMES,
    GENERATED_PEOPLE,
    GROUPS,
    LAST_NAMES,
    NAMED_PEOPLE,
    PDF_CONVERTER,
    SERVICE_ACCOUNTS,
    PersonSpec,
    aws_user_arn,
    person_email,
    person_id,
)

MFA_CHOICES: tuple[tuple[str, ...], ...] = (
    ("push",),
    ("push", "totp"),
    ("webauthn",),
    ("push", "webauthn"),
)
ROUTINE_DAYS = 7
SUSPENDED_LEAVERS = 2


def add_groups(builder: LabBuilder) -> None:
    for spec in GROUPS:
        builder.rows.groups.append(
            LabGroup(
                id=spec.id,
                name=spec.name,
                description=spec.description,
                privileged=spec.privileged,
                grants=list(spec.grants),
            )
        )


def person_home(builder: LabBuilder, country: str) -> Home:
    ip = f"198.51.100.{builder.rng.randint(2, 199)}"
    return Home(ip=ip, country=country, user_agent=builder.rng.choice(BROWSERS))


def add_person(builder: LabBuilder, spec: PersonSpec, *, slack_user_id: str) -> LabIdentity:
    identity = builder.add_identity(
        person_home(builder, spec.country),
        id=person_id(spec.name),
        kind=PERSON,
        name=spec.name,
        email=person_email(spec.name),
        slack_user_id=slack_user_id,
        department=spec.department,
        title=spec.title,
        privileged=spec.slack_user_id is not None,  # the named admins are directory admins
        created_at=builder.ago(days=builder.rng.randint(200, 2000)),
    )
    factors = list(builder.rng.choice(MFA_CHOICES))
    identity.mfa_factors, identity.mfa_enrolled = factors, True
    for group_id in ("g-all-staff", DEPARTMENT_GROUPS.get(spec.department), *spec.groups):
        if group_id:
            builder.add_membership(identity.id, group_id)
    return identity


def slack_id(builder: LabBuilder) -> str:
    return "U0" + builder.token("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 9)


def add_named_people(builder: LabBuilder) -> None:
    for spec in NAMED_PEOPLE:
        add_person(builder, spec, slack_user_id=spec.slack_user_id or slack_id(builder))


def generated_specs(builder: LabBuilder) -> list[PersonSpec]:
    taken = {spec.name for spec in NAMED_PEOPLE}
    specs: list[PersonSpec] = []
    departments = sorted(DEPARTMENT_TITLES)
    while len(specs) < GENERATED_PEOPLE:
        name = f"{builder.rng.choice(FIRST_NAMES)} {builder.rng.choice(LAST_NAMES)}"
        if name in taken:
            continue
        taken.add(name)
        department = builder.rng.choice(departments)
        title = builder.rng.choice(DEPARTMENT_TITLES[department])
        specs.append(PersonSpec(name, department, title, None, (), builder.rng.choice(COUNTRIES)))
    return specs


def extra_privileged_groups(specs: list[PersonSpec]) -> list[PersonSpec]:
    """A few ordinary people hold privilege too, as in any real directory."""
    engineers = [s for s in specs if s.department == "Engineering"]
    finance = [s for s in specs if s.department == "Finance"]
    grants = {s.name: ("g-prod-deployers",) for s in engineers[:2]}
    grants.update({s.name: ("g-github-owners",) for s in engineers[2:3]})
    grants.update({s.name: ("g-finance-admins",) for s in finance[:1]})
    return [s._replace(groups=grants.get(s.name, ())) for s in specs]


def add_generated_people(builder: LabBuilder) -> None:
    specs = extra_privileged_groups(generated_specs(builder))
    for index, spec in enumerate(specs):
        identity = add_person(builder, spec, slack_user_id=slack_id(builder))
        if builder.rng.random() < 0.1:
            identity.mfa_factors, identity.mfa_enrolled = [], False
        if index >= len(specs) - SUSPENDED_LEAVERS:
            identity.status = SUSPENDED
        if index == 0:  # someone once tried a risky app and had it revoked
            builder.add_grant(
                identity.id, PDF_CONVERTER, builder.ago(days=120), builder.ago(days=119)
            )


def add_break_glass(builder: LabBuilder) -> None:
    for number, account in enumerate(BREAK_GLASS_IDS, start=1):
        home = Home(ip=f"198.51.100.{200 + number}", country="US", user_agent=BROWSERS[0])
        builder.add_identity(
            home,
            id=account,
            kind=PERSON,
            name=f"Break Glass {number:02d}",
            email=f"{account}@{DOMAIN}",
            arn=aws_user_arn(account),
            department="Security",
            title="Emergency access account",
            privileged=True,
            break_glass=True,
            mfa_enrolled=True,
            mfa_factors=["webauthn"],
            created_at=builder.ago(days=1500),
        )
        builder.add_membership(account, "g-break-glass", added_at=builder.ago(days=1500))
        builder.add_event(
            account,
            builder.ago(days=92 + number),
            "login",
            "success",
            detail="quarterly break-glass access test",
        )


def add_service_accounts(builder: LabBuilder) -> None:
    for number, (account, owner, groups) in enumerate(SERVICE_ACCOUNTS, start=10):
        region = builder.rng.choice(AWS_REGIONS)
        home = Home(f"192.0.2.{number}", "US", builder.rng.choice(API_CLIENTS), region)
        builder.add_identity(
            home,
            id=account,
            kind=SERVICE_ACCOUNT,
            name=aws_user_arn(account),
            arn=aws_user_arn(account),
            department="Automation",
            title="Service account",
            owner_id=owner,
            created_at=builder.ago(days=builder.rng.randint(400, 1500)),
        )
        for group_id in groups:
            builder.add_membership(account, group_id)


def add_person_footprint(builder: LabBuilder, identity: LabIdentity) -> None:
    rng = builder.rng
    for app in rng.sample(EVERYDAY_APPS, rng.randint(0, 2)):
        builder.add_grant(identity.id, app, builder.ago(days=rng.randint(5, 400)))
    if identity.department == "Engineering" and rng.random() < 0.3:
        home = builder.homes[identity.id]
        builder.add_key(
            identity.id,
            last_used_at=builder.ago(days=rng.randint(0, 20)),
            last_used_ip=home.ip,
            last_used_region=rng.choice(AWS_REGIONS),
        )
    expired = builder.add_session(identity.id, builder.ago(days=3, hours=rng.randint(0, 9)))
    if identity.status == SUSPENDED:
        expired.revoked_at = expired.created_at
        return
    for _ in range(rng.randint(1, 2)):
        builder.add_session(identity.id, builder.ago(hours=rng.randint(1, 20)))
    add_routine_sign_ins(builder, identity.id)


def add_routine_sign_ins(builder: LabBuilder, identity_id: str) -> None:
    rng = builder.rng
    for day in range(ROUTINE_DAYS):
        if rng.random() > 0.8:
            continue
        at = builder.ago(days=day, hours=rng.randint(1, 12), minutes=rng.randint(0, 59))
        if rng.random() < 0.1:
            builder.add_event(identity_id, at, "login", "failure", detail="wrong password")
        builder.add_event(identity_id, at, "login", "success")
        builder.add_event(identity_id, at, "mfa_push", "approved")


def add_service_footprint(builder: LabBuilder, identity: LabIdentity) -> None:
    rng = builder.rng
    home = builder.homes[identity.id]
    if rng.random() < 0.3:
        builder.add_key(
            identity.id,
            status=INACTIVE,
            created_at=builder.ago(days=900),
            last_used_at=builder.ago(days=rng.randint(200, 400)),
            last_used_ip=home.ip,
            last_used_region=home.region,
        )
    if identity.id != "svc-ci-deployer":  # the scenario gives it its own key
        builder.add_key(
            identity.id,
            last_used_at=builder.ago(hours=rng.randint(1, 30)),
            last_used_ip=home.ip,
            last_used_region=home.region,
        )
    add_routine_api_calls(builder, identity.id, home)


def add_routine_api_calls(builder: LabBuilder, identity_id: str, home: Home) -> None:
    for hours_ago in range(2, ROUTINE_DAYS * 24, 8):
        at = builder.ago(hours=hours_ago, minutes=builder.rng.randint(0, 59))
        builder.add_event(identity_id, at, "api_call", "success", detail=f"region {home.region}")


def add_footprints(builder: LabBuilder) -> None:
    for identity in builder.rows.identities:
        if identity.break_glass:
            continue
        if identity.kind == PERSON:
            add_person_footprint(builder, identity)
        else:
            add_service_footprint(builder, identity)


def add_organisation(builder: LabBuilder) -> None:
    add_groups(builder)
    add_named_people(builder)
    add_generated_people(builder)
    add_break_glass(builder)
    add_service_accounts(builder)
    add_footprints(builder)
