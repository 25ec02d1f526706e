"""A partner key cannot make harvesting reach a private host, nor read back what it says.

A fake cloud metadata service on loopback holds credentials. A partner points a source at
it by address, by a name that resolves to it, by a decimal or hex spelling of
127.0.0.1, or through a redirect to ``[::1]``: the service is never asked, and nothing it
could say appears in the run. In development mode (``ACADEMY_HARVEST_ALLOW_PRIVATE=1``)
the feed is read, but its values still never come back in a run's errors. These tests run
with the server's defaults, except that loopback feeds are plain http.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.jobs import harvest_policy
from api.settings import Settings, load_settings
from catalogue.harvest import (
    ALLOW_ALL,
    FeedError,
    FetchPolicy,
    fetch_documents,
    put_source,
    work_queue,
)
from tests.feeds import Feed, feed_server
from tests.support import TEST_SECRET, bearer

BASE = "/api/v1/institutions/ucll"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
KEY_ID = "ASIAQEXAMPLEKEY12345"
CREDENTIALS = json.dumps({
    "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET,
    "Token": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2026-12-07T18:00:00Z",
}).encode()
ROLE = "/latest/meta-data/iam/security-credentials/academy-role"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The server's defaults (public hosts only), but plain http so that loopback can serve."""
    return load_settings(env={"ACADEMY_HARVEST_ALLOW_HTTP": "1"}, data_dir=tmp_path,
                         database_url=database_url, secret_key=TEST_SECRET,
                         harvest_in_background=False)


@pytest.fixture
async def ucll(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await make_key("ucll", "publish"))


@pytest.fixture
def metadata() -> Iterator[Feed]:
    with feed_server() as served:
        served.serve(ROLE, "application/json", CREDENTIALS)
        served.serve("/latest/meta-data/iam/security-credentials/", "text/plain", b"academy-role")
        yield served


def assert_nothing_leaked(*bodies: Any) -> None:
    text = json.dumps(bodies)
    assert SECRET not in text and KEY_ID not in text and "AccessKeyId" not in text, text


async def harvest(client, headers, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Queue a run, let the harvest worker run it with the server's policy, read it back."""
    queued = await client.post(f"{BASE}/sources/{name}/run", headers=headers)
    assert queued.status_code == 202, queued.text
    await work_queue(client.app.state.session_factory, harvest_policy(client.app.state.settings))
    done = (await client.get(queued.headers["location"], headers=headers)).json()
    listed = (await client.get(f"{BASE}/harvests", headers=headers)).json()
    assert_nothing_leaked(done, listed)
    return done


async def put(client, headers, name: str, type_: str, location: str):  # type: ignore[no-untyped-def]
    return await client.put(f"{BASE}/sources/{name}", headers=headers,
                            json={"type": type_, "location": location})


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "017700000001", "127.1",
                                  "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"])
async def test_a_private_address_is_refused_when_the_source_is_set(
        client, ucll, metadata, host) -> None:  # type: ignore[no-untyped-def]
    port = metadata.base_url.rsplit(":", 1)[1]
    r = await put(client, ucll, "meta", "json", f"http://{host}:{port}{ROLE}")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == "/location"
    if not host.startswith("["):  # IPv6 literals are not feed URLs at all (api/openapi.py)
        assert "not a public address" in r.json()["errors"][0]["message"]
    assert metadata.requests == []


async def test_a_name_that_resolves_to_loopback_is_never_reached(client, ucll, metadata) -> None:  # type: ignore[no-untyped-def]
    location = metadata.base_url.replace("127.0.0.1", "localhost") + ROLE
    assert (await put(client, ucll, "meta", "json", location)).status_code == 201
    run = await harvest(client, ucll, "meta")
    assert run["status"] == "failed" and run["counts"]["created"] == 0
    assert "resolves to an address that is not public" in run["errors"][0]["message"]
    assert metadata.requests == []


async def test_a_source_set_before_the_rule_is_refused_when_it_runs(
        client, ucll, metadata, session_factory) -> None:  # type: ignore[no-untyped-def]
    """A decimal spelling of 127.0.0.1 stored earlier (or by an operator) still never runs."""
    port = metadata.base_url.rsplit(":", 1)[1]
    lenient = FetchPolicy(allow_http=True, private_networks=ALLOW_ALL)
    async with session_factory() as session:
        await put_source(session, "ucll", "meta", "json", f"http://2130706433:{port}{ROLE}", 60,
                         policy=lenient)
        await session.commit()
    run = await harvest(client, ucll, "meta")
    assert run["status"] == "failed" and "not a public address" in run["errors"][0]["message"]
    assert metadata.requests == []


async def test_a_redirect_to_ipv6_loopback_is_not_followed(client, ucll, metadata) -> None:  # type: ignore[no-untyped-def]
    """The first hop is allowed (its network is exempt); the hop to ``[::1]`` is checked anew."""
    with feed_server("::1") as inner:
        inner.serve(ROLE, "application/json", CREDENTIALS)
        start = metadata.redirect("/feed.json", inner.base_url + ROLE)
        policy = FetchPolicy(allow_http=True, private_networks=("127.0.0.0/8",))
        with pytest.raises(FeedError, match="resolves to an address that is not public"):
            await fetch_documents("json", start, {}, policy=policy)
        assert metadata.requests == ["/feed.json"] and inner.requests == []

        # ...and plain http is not followed where only https is allowed, even when exempt.
        metadata.redirect("/tls.json", inner.base_url + ROLE)
        https_only = FetchPolicy(private_networks=ALLOW_ALL)
        with pytest.raises(FeedError, match="must be an https URL"):
            await fetch_documents("json", metadata.base_url + "/tls.json", {}, policy=https_only)
        assert inner.requests == []


async def test_https_and_a_host_name_are_required_by_default(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    strict = load_settings(env={}, secret_key=TEST_SECRET, database_url="postgresql://x/y")
    assert harvest_policy(strict).allow_http is False and harvest_policy(strict).private_networks == ()
    async with session_factory() as session:
        with pytest.raises(Exception, match="must be an https URL"):
            await put_source(session, "ucll", "plain", "json", "http://partner.example/feed", 60,
                             policy=harvest_policy(strict))
        with pytest.raises(Exception, match="must name its host"):  # even a public address
            await put_source(session, "ucll", "ip", "json", "https://8.8.8.8/feed", 60,
                             policy=harvest_policy(strict))


async def test_in_development_mode_run_errors_still_never_quote_the_feed(
        client, ucll, metadata, session_factory) -> None:  # type: ignore[no-untyped-def]
    """With ``ACADEMY_HARVEST_ALLOW_PRIVATE=1`` the feed is read; what it holds stays in it."""
    dev = FetchPolicy(allow_http=True, private_networks=ALLOW_ALL)
    items = [
        {"code": "C-1", "type": "module", "title": {"en": "One"}, "ects": f"AccessKeyId {KEY_ID}"},
        {"code": "C-2", "type": KEY_ID, "title": {"en": SECRET}, "AccessKeyId": KEY_ID,
         "offerings": [{"start_date": SECRET, "language": KEY_ID}]},
        {"code": SECRET, "type": "module", "title": {"en": "Three"}},
        CREDENTIALS.decode(),
    ]
    csv = f"code,type,title_en,ects,url\nC-3,module,Drie,{KEY_ID},{SECRET}\n"
    cases = {"json": json.dumps(items).encode(), "csv": csv.encode(),
             "broken": b'[{"code": "C-4", "x": ' + KEY_ID.encode() + b"}]"}
    for name, body in cases.items():
        url = metadata.serve(f"/{name}", "application/json", body)
        async with session_factory() as session:
            await put_source(session, "ucll", name, "csv" if name == "csv" else "json", url, 60,
                             policy=dev)
            await session.commit()
        queued = await client.post(f"{BASE}/sources/{name}/run", headers=ucll)
        await work_queue(session_factory, dev)
        run = (await client.get(queued.headers["location"], headers=ucll)).json()
        assert_nothing_leaked(run, (await client.get(f"{BASE}/harvests", headers=ucll)).json())
        if name == "broken":
            assert run["status"] == "failed" and "not valid JSON (near byte" in run["errors"][0]["message"]
        else:
            assert run["counts"]["invalid"] >= 1 and run["errors"]
    json_run = (await client.get(f"{BASE}/harvests", params={"source": "json"},
                                 headers=ucll)).json()["items"][0]
    where = {(e["code"], e["pointer"]) for e in json_run["errors"]}
    assert ("C-1", "/0/ects") in where and ("C-2", "/1") in where  # the unknown member is cut off
    assert (None, "/2/code") in where  # a code that is not a code is not repeated either
    assert any(e["pointer"] == "/1/offerings/0/start_date"
               and e["message"] == "is not a valid date (YYYY-MM-DD)" for e in json_run["errors"])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` that no client trusts, and its key."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_the_checked_address_is_reached_under_the_host_name(metadata, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Pinning the address keeps the name: in the Host header, and in TLS (SNI, verification)."""
    import socket
    import ssl
    import threading

    dev = FetchPolicy(allow_http=True, private_networks=ALLOW_ALL)
    by_name = metadata.base_url.replace("127.0.0.1", "localhost")
    url = metadata.serve("/ok.json", "application/json", b"[]").replace(metadata.base_url, by_name)
    assert await fetch_documents("json", url, {}, policy=dev) == []
    assert metadata.hosts == [by_name.removeprefix("http://")]

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda conn, name, ctx: names.append(name)  # type: ignore[assignment,misc,return-value]
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass  # the client refuses our certificate, as it must
        finally:
            conn.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        with pytest.raises(FeedError, match="cannot connect"):
            await fetch_documents("json", f"https://localhost:{port}/feed.json", {},
                                  policy=FetchPolicy(private_networks=ALLOW_ALL))
    finally:
        thread.join(10)
        listener.close()
    assert names == ["localhost"]  # SNI names the host, though the socket went to 127.0.0.1
