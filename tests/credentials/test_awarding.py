"""Stacked credentials: awarded when three partners' credentials satisfy a pathway, verified
like any credential, suspended and lifted as constituents are revoked and earned again."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from credentials.proofs.jsonld import expand_strict
from credentials.status import STATUS_MESSAGES, decode_list, entry_value
from credentials.validation import validate_ob3
from tests.credentials import pathway_support as pathways
from tests.credentials.support import ISSUE
from tests.credentials.pathway_support import (
    EMAIL,
    active_pathway,
    approve,
    define,
    issue,
    learner_headers,
    stacked,
)

app, keys = pathways.app, pathways.keys  # the fixtures

async def verify(client, credential) -> tuple[bool, dict[str, Any]]:  # type: ignore[no-untyped-def]
    report = (await client.post("/api/v1/verify", json=credential)).json()
    return report["verified"], {c["check"]: c for c in report["checks"]}


async def listed_status(client, credential) -> str:  # type: ignore[no-untyped-def]
    """The credential's status as its published status list says it to any verifier: a
    1-bit revocation entry says "revoked" while the award is suspended too."""
    entry = credential["credentialStatus"]
    entry = entry[0] if isinstance(entry, list) else entry
    listed = (await client.get(entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")))
    assert listed.status_code == 200, listed.text
    assert listed.json()["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
    bits = decode_list(listed.json()["credentialSubject"]["encodedList"])
    value = entry_value(bits, int(entry["statusListIndex"]), entry.get("statusSize", 1))
    assert value is not None
    if entry["statusPurpose"] == "revocation":
        return "revoked" if value else "valid"
    return STATUS_MESSAGES[value]


async def test_three_partners_credentials_stack_into_a_verifiable_award(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    parts = [await issue(client, keys, "ucll", "MC-UDL"),
             await issue(client, keys, "thomasmore", "MC-DIVERSITEIT", grade=14)]
    assert await stacked(client, me) == []
    parts.append(await issue(client, keys, "kuleuven", "MC-EVALUATIE", grade=16))

    (award,) = await stacked(client, me)
    credential = award["credential"]
    assert credential["issuer"]["id"] == "did:web:127.0.0.1%3A8000:institutions:kuleuven"
    assert credential["name"] == "Getuigschrift inclusief lesgeven"
    assert sorted(credential["hasPart"]) == sorted(p["id"] for p in parts)
    assert sorted(e["id"] for e in credential["evidence"]) == sorted(p["id"] for p in parts)
    assert credential["credentialSubject"]["totalEcts"] == 12
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["pathwayVersion"] == 1
    assert achievement["id"] == f"http://127.0.0.1:8000/api/v1/pathways/{pathway['id']}"
    assert achievement["creditsAvailable"] == 12
    assert achievement["achievementType"] == "Certificate"
    assert validate_ob3(credential) == []
    assert credential["validUntil"].startswith(str(int(credential["validFrom"][:4]) + 10))
    expand_strict(credential, allow_vocab_fallback=False)  # every term defined

    verified, checks = await verify(client, credential)
    assert verified, checks
    served = await client.get(f"/api/v1/credentials/{award['id']}", headers=me)  # the holder
    assert served.content == (await client.get(award["url"], headers=me)).content
    assert served.json() == credential


@pytest.mark.parametrize(("named", "expected"), [(None, "Certificate"),
                                                  ("LearningProgram", "LearningProgram"),
                                                  ("MicroCredential", "MicroCredential")])
async def test_the_award_carries_the_achievement_type_its_pathway_names(  # type: ignore[no-untyped-def]
        client, keys, named, expected) -> None:
    body = pathways.pathway_body()
    body["award"].pop("achievement_type")
    if named:
        body["award"]["achievement_type"] = named
    await active_pathway(client, keys, body)
    me = await learner_headers(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-DIVERSITEIT"),
                       ("kuleuven", "MC-EVALUATIE")):
        await issue(client, keys, slug, code)
    (award,) = await stacked(client, me)
    credential = award["credential"]
    assert credential["credentialSubject"]["achievement"]["achievementType"] == expected
    assert validate_ob3(credential) == []
    assert (await verify(client, credential))[0]


async def test_revocation_suspends_and_a_later_credential_lifts(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    udl = await issue(client, keys, "ucll", "MC-UDL")
    await issue(client, keys, "thomasmore", "MC-DIVERSITEIT")
    await issue(client, keys, "kuleuven", "MC-EVALUATIE")
    (award,) = await stacked(client, me)
    credential = award["credential"]
    assert await listed_status(client, credential) == "valid"

    udl_id = udl["id"].rsplit("/", 1)[1]
    r = await client.post(f"{ISSUE.format(slug='ucll')}/{udl_id}/revoke",
                          json={"reason": "fraud"}, headers=keys["ucll"])
    assert r.status_code == 200, r.text
    (award,) = await stacked(client, me)
    assert award["status"] == "suspended"
    assert await listed_status(client, credential) == "revoked"  # what verifiers read
    verified, checks = await verify(client, credential)
    assert not verified and checks["status"]["reason"] == "suspended"

    # Not counted (another course of a group already met): still suspended.
    await issue(client, keys, "thomasmore", "MC-TAALBELEID")
    assert (await stacked(client, me))[0]["status"] == "suspended"

    await issue(client, keys, "ucll", "MC-UDL", issued_on="2026-09-01")
    (award,) = await stacked(client, me)
    assert award["status"] == "valid" and award["credential"] == credential
    assert await listed_status(client, credential) == "valid"
    assert (await verify(client, credential))[0]


async def test_a_suspension_by_the_institution_is_not_lifted_by_stacking(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-DIVERSITEIT"),
                       ("kuleuven", "MC-EVALUATIE")):
        await issue(client, keys, slug, code)
    (award,) = await stacked(client, me)
    r = await client.post(f"{ISSUE.format(slug='kuleuven')}/{award['id']}/suspend",
                          json={"reason": "under review"}, headers=keys["kuleuven"])
    assert r.status_code == 200, r.text
    await issue(client, keys, "kuleuven", "MC-DIGITAAL")
    assert [a["status"] for a in await stacked(client, me)] == ["suspended"]


async def test_credentials_that_break_the_limits_do_not_count(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    await issue(client, keys, "ucll", "MC-UDL", grade=11)  # below min_grade 12
    await issue(client, keys, "thomasmore", "MC-DIVERSITEIT", issued_on="2020-01-31")  # too old
    await issue(client, keys, "kuleuven", "MC-EVALUATIE")
    assert await stacked(client, me) == []


async def test_activation_awards_learners_who_already_qualify(client, keys) -> None:  # type: ignore[no-untyped-def]
    me = await learner_headers(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-TAALBELEID"),
                       ("kuleuven", "MC-EVALUATIE"), ("ucll", "MC-TOETS")):
        await issue(client, keys, slug, code)
    r = await define(client, keys)
    assert r.status_code == 201
    assert await stacked(client, me) == []  # pending: not active before the approvals
    assert (await approve(client, keys, "ucll")).status_code == 200
    assert await stacked(client, me) == []
    assert (await approve(client, keys, "thomasmore")).status_code == 200
    (award,) = await stacked(client, me)
    assert award["credential"]["credentialSubject"]["totalEcts"] == 14  # 4 + 3 + 4 + 3


async def test_the_approve_command_itself_awards_learners_who_already_qualify(  # type: ignore[no-untyped-def]
        app, client, keys, session_factory) -> None:
    """Activation awards in the domain (credentials.pathways), not in the HTTP handler: the
    command alone, with the keyring as an argument, signs the award in its transaction."""
    from sqlalchemy import text

    from api.state import keyring_of
    from credentials.pathways import approve_pathway

    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-TAALBELEID"),
                       ("kuleuven", "MC-EVALUATIE"), ("ucll", "MC-TOETS")):
        await issue(client, keys, slug, code)
    assert (await define(client, keys)).status_code == 201
    assert (await approve(client, keys, "ucll")).status_code == 200
    async with session_factory() as session:
        defined = await approve_pathway(session, "kuleuven", "PG-INCLUSIEF-ONDERWIJS",
                                        "thomasmore", keyring=keyring_of(app))
        assert defined.activated_version_id is not None
        awarded = await session.scalar(text(
            "SELECT count(*) FROM stacked_credential WHERE learner_email = :e"), {"e": EMAIL})
        await session.commit()
    assert awarded == 1
    (award,) = await stacked(client, await learner_headers(client, keys))
    assert award["credential"]["credentialSubject"]["totalEcts"] == 14


async def test_learners_see_their_progress_and_where_to_follow_missing_units(  # type: ignore[no-untyped-def]
        client, keys, session_factory) -> None:
    """The progress view over all the learner's credentials (what the learner's own sign-in
    shows), and through a partner's token, over that partner's credentials only (#13)."""
    from datetime import date

    from credentials.progress import learner_progress

    async def everything() -> list[Any]:
        async with session_factory() as session:
            items, _ = await learner_progress(session, EMAIL, date.today())
        return [msgspec.to_builtins(item) for item in items]

    pathway = await active_pathway(client, keys)
    me = await learner_headers(client, keys, slug="ucll")
    assert (await client.get("/api/v1/me/pathways", headers=me)).json()["items"] == []
    await issue(client, keys, "ucll", "MC-UDL")
    await issue(client, keys, "thomasmore", "MC-DIVERSITEIT")

    (progress,) = await everything()
    assert str(progress["pathway_id"]) == pathway["id"] and progress["version"] == 1
    assert progress["satisfied"] is False and progress["award"] is None
    assert progress["ects_earned"] == 8 and progress["ects_required"] == 12
    groups = progress["rules"]["children"]
    assert [g["met"] for g in groups] == [True, True, False]
    assert groups[1]["label"]["en"] == "One module on diversity"
    assert groups[2]["needed"] == 4 and groups[2]["achieved"] == 0
    missing = {m["course"]: m for m in progress["missing"]}
    assert set(missing) == {"kuleuven/MC-EVALUATIE", "kuleuven/MC-DIGITAAL", "ucll/MC-TOETS"}
    offerings = missing["kuleuven/MC-EVALUATIE"]["upcoming_offerings"]
    assert [str(o["start_date"]) for o in offerings] == ["2027-02-01"]  # not the cancelled one
    assert missing["kuleuven/MC-DIGITAAL"]["ects"] == 3

    # UCLL's token counts UCLL's credential only: Thomas More's stays unseen
    (seen,) = (await client.get("/api/v1/me/pathways", headers=me)).json()["items"]
    assert seen["pathway_id"] == pathway["id"] and seen["ects_earned"] == 4
    assert [g["met"] for g in seen["rules"]["children"]] == [True, False, False]
    assert "thomasmore/MC-DIVERSITEIT" in {m["course"] for m in seen["missing"]}

    await issue(client, keys, "kuleuven", "MC-EVALUATIE")
    (progress,) = await everything()
    assert progress["satisfied"] is True and progress["missing"] == []
    assert progress["award"]["status"] == "valid"
    kul = await learner_headers(client, keys)  # the awarding institution sees its award
    (seen,) = (await client.get("/api/v1/me/pathways", headers=kul)).json()["items"]
    assert seen["award"]["status"] == "valid"

    other = await learner_headers(client, keys, "someone.else@example.org")
    assert (await client.get("/api/v1/me/pathways", headers=other)).json()["items"] == []
    assert (await client.get("/api/v1/me/pathways")).status_code == 401