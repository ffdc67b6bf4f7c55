"""The grant cycle through a client generated from openapi/openapi.json.

Run by scripts/generated-client.sh against the demo server, with the generated package
`grantfund_client` on the path:

    python tests/client/grant_cycle.py BASE_URL LOGINS

LOGINS is the demo's output, which lists each demo account as `ROLE EMAIL PASSWORD`, and staff
with a fourth column, the TOTP secret whose code signing in asks for after the password. As the
administrator it sets up a fund open today, with this financial year's limit, a round and its
criterion; reads the rounds without signing in; registers an organisation, applies and submits;
then reads CSV and the 360Giving package as an official and the ranking as the administrator.
Every answer is read through the generated client's types; any other answer fails the run.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import struct
import sys
import time
from typing import TypeVar

from grantfund_client import AuthenticatedClient, Client
from grantfund_client.api.applications import create_application, submit_application
from grantfund_client.api.assessment import get_ranking_csv
from grantfund_client.api.auth import login, login_mfa, me, register
from grantfund_client.api.directory import list_directory
from grantfund_client.api.funds import create_fund, set_fund_year
from grantfund_client.api.reports import (
    export_360giving,
    export_360giving_csv,
    summary,
    summary_csv,
)
from grantfund_client.api.rounds import create_criterion, create_round, get_round, list_criteria, list_rounds
from grantfund_client.models import (
    ApplicationStatus,
    Component,
    CriterionInput,
    FundInput,
    FundYearInput,
    HealthBoard,
    LoginMfaRequest,
    LoginRequest,
    MfaChallenge,
    NewAccount,
    NewApplication,
    NewApplicationRequestedType0,
    OrganisationInput,
    OrganisationReference,
    OrganisationType,
    Problem,
    Reach,
    RegisterRequest,
    ReturnFrequency,
    Role,
    RoundInput,
    SignedIn,
    SupportType,
    TargetGroup,
)

T = TypeVar("T")


def expect(answer: T | Problem | None, what: str) -> T:
    """The answer, unless the service refused (a problem) or answered what the contract does not say."""
    if isinstance(answer, Problem):
        raise SystemExit(f"{what}: {answer.status} {answer.code}: {answer.detail}")
    if answer is None:
        raise SystemExit(f"{what}: an answer the contract does not describe")
    return answer


def logins(path: str) -> dict[str, tuple[str, str, str]]:
    """Each demo role's email, password and TOTP secret (empty for none), from the demo's output."""
    found: dict[str, tuple[str, str, str]] = {}
    roles = {role.value for role in Role}
    with open(path, encoding="utf-8") as output:
        for line in output:
            words = line.split()
            if len(words) in (3, 4) and words[0] in roles:
                found[words[0]] = (words[1], words[2], words[3] if len(words) == 4 else "")
    return found


def totp(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238: HMAC-SHA-1 of the 30-second step)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def signed_in(base_url: str, email: str, password: str, secret: str) -> AuthenticatedClient:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    answer = expect(login.sync(client=anonymous, body=LoginRequest(email=email, password=password)), "sign in")
    if isinstance(answer, MfaChallenge):
        tokens = expect(
            login_mfa.sync(client=anonymous, body=LoginMfaRequest(challenge=answer.challenge, code=totp(secret))),
            "sign in with a code",
        )
        token = tokens.access_token
    elif isinstance(answer, SignedIn):
        token = answer.access_token
    else:
        raise SystemExit(f"sign in: an answer the contract does not describe: {answer!r}")
    return AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def this_financial_year(today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """The UK financial year that holds `today`: its name and its first and last days."""
    first = today.year if today >= datetime.date(today.year, 4, 1) else today.year - 1
    return f"{first}-{(first + 1) % 100:02d}", datetime.date(first, 4, 1), datetime.date(first + 1, 3, 31)


def main(base_url: str, logins_path: str) -> None:
    accounts = logins(logins_path)
    for role in ("administrator", "official"):
        if role not in accounts:
            raise SystemExit(f"the demo printed no {role} account")
    admin = signed_in(base_url, *accounts["administrator"])
    official = signed_in(base_url, *accounts["official"])
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    year, first_day, last_day = this_financial_year(now.date())

    fund = expect(
        create_fund.sync(
            client=admin,
            body=FundInput(
                name="Parent and Infant Wellbeing Fund",
                code="PIWF",
                funder=OrganisationReference(name="Scottish Government", org_id="GB-GOR-PC390"),
                administrator=OrganisationReference(name="Inspiring Scotland", org_id="GB-SC-SC040887"),
                programme_start=first_day,
                programme_end=last_day,
                reach_target=500,
            ),
        ),
        "create a fund",
    )
    expect(
        set_fund_year.sync(fund.id, year, client=admin, body=FundYearInput(limit="200000.00", approved=True)),
        "set the year's limit",
    )
    round_ = expect(
        create_round.sync(
            fund.id,
            client=admin,
            body=RoundInput(
                name=f"Core {year}",
                component=Component.CORE,
                opens_at=now - datetime.timedelta(hours=1),
                closes_at=now + datetime.timedelta(days=30),
                financial_years=[year],
                min_request="1000.00",
                max_request="50000.00",
                return_frequency=ReturnFrequency.QUARTERLY,
            ),
        ),
        "create a round",
    )
    expect(
        create_criterion.sync(
            round_.id, client=admin, body=CriterionInput(name="Need and reach", weight="1", max_score=5)
        ),
        "add a criterion",
    )

    # Without signing in: the open rounds, the round and its criteria, the directory.
    open_rounds = expect(list_rounds.sync(client=anonymous), "list rounds anonymously")
    if round_.id not in [r.id for r in open_rounds.items]:
        raise SystemExit(f"round {round_.id} is open but not listed: {[r.id for r in open_rounds.items]}")
    seen = expect(get_round.sync(round_.id, client=anonymous), "read the round anonymously")
    criteria = expect(list_criteria.sync(round_.id, client=anonymous), "read the criteria anonymously")
    if seen.name != round_.name or [c.name for c in criteria.items] != ["Need and reach"]:
        raise SystemExit(f"the round read anonymously differs: {seen.name}, {criteria.items}")
    directory = expect(list_directory.sync(client=anonymous), "read the directory")
    print(f"anonymous: {open_rounds.total} open round(s), {directory.total} funded service(s) listed")

    email = "morag@bumps-and-babies.example.org"
    password = "a kettle, two mugs and a long walk"
    expect(
        register.sync(
            client=anonymous,
            body=RegisterRequest(
                organisation=OrganisationInput(
                    name="Bumps & Babies Fife",
                    type_=OrganisationType.SCIO,
                    charity_number="SC048123",
                    annual_income="182500.00",
                    postcode="KY1 1LX",
                    health_boards=[HealthBoard.FIFE],
                    contact_email="hello@bumps-and-babies.example.org",
                ),
                user=NewAccount(name="Morag Henderson", email=email, password=password),
            ),
        ),
        "register",
    )
    applicant = signed_in(base_url, email, password, "")
    profile = expect(me.sync(client=applicant), "read my account")
    if profile.user.role != Role.APPLICANT:
        raise SystemExit(f"registered as {profile.user.role}")

    draft = expect(
        create_application.sync(
            round_.id,
            client=applicant,
            body=NewApplication(
                title="Peer support for new parents in Fife",
                summary="Weekly groups and one-to-one peer support in pregnancy and the first year.",
                description="Trained peer supporters run six weekly groups across Fife.",
                requested=NewApplicationRequestedType0.from_dict({year: "24000.00"}),
                health_boards=[HealthBoard.FIFE],
                target_groups=[TargetGroup.MOTHERS_BIRTHING_PARENTS, TargetGroup.FATHERS_PARTNERS],
                support_types=[SupportType.PEER_SUPPORT, SupportType.GROUP_WORK],
                peer_support=True,
                expected_reach=Reach(women=120, partners=60, infants=130, families=110),
                equality_impact="Groups meet in venues near bus routes; interpreters on request.",
            ),
        ),
        "start an application",
    )
    submitted = expect(submit_application.sync(draft.id, client=applicant), "submit the application")
    if submitted.status != ApplicationStatus.SUBMITTED or submitted.total_requested != "24000.00":
        raise SystemExit(f"submitted as {submitted.status}, {submitted.total_requested}")
    print(f"applicant: application {submitted.id} submitted, {submitted.total_requested} asked for {year}")

    # Reports: JSON, and CSV from the operations that answer only CSV.
    money = expect(summary.sync(fund.id, client=official), "read the summary")
    csv = expect(summary_csv.sync(fund.id, client=official), "read the summary as CSV")
    header = "financial_year,component,limit,committed,paid,remaining,awards,organisations"
    if not csv.startswith(header) or f"{year},all,200000.00," not in csv:
        raise SystemExit(f"the summary CSV is not as expected:\n{csv}")
    if money.total.limit != "200000.00":
        raise SystemExit(f"the summary's total limit is {money.total.limit}")
    ranking = expect(get_ranking_csv.sync(round_.id, client=admin), "read the ranking as CSV")
    if not ranking.startswith("rank,status,application_id,") or f",not_ready,{submitted.id}," not in ranking:
        raise SystemExit(f"the ranking CSV is not as expected:\n{ranking}")
    package = expect(export_360giving.sync(client=official, fund_id=1), "read the demo fund's 360Giving package")
    grants_csv = expect(export_360giving_csv.sync(client=official, fund_id=1), "read the 360Giving CSV")
    if package.version != "1.4" or not package.grants or len(grants_csv.splitlines()) != len(package.grants) + 1:
        raise SystemExit(f"the 360Giving export is not as expected: {len(package.grants)} grants")
    grant = package.grants[0]
    recipients = grant.recipient_organization
    if not isinstance(recipients, list) or not recipients:
        raise SystemExit(f"the demo fund's first grant {grant.id} names no recipient organisation")
    print(
        f"official: summary CSV of {len(csv.splitlines())} lines; {len(package.grants)} grants in the demo fund's "
        f"360Giving package, the first {grant.id} of {grant.amount_awarded} to {recipients[0].name}"
    )
    print("the generated client ran the grant cycle")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
