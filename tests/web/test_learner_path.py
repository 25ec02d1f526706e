"""The learner's whole path in Debian's Chromium (#17), against a real `academy serve` whose
mail goes to a real SMTP server on loopback: an institution issues a credential; the award
mail arrives and points to /me; the learner asks for a sign-in link there, opens it from the
sign-in mail, confirms, sees the credential on /me, opens it, downloads its certificate
(PDF), asks to add it to a wallet (QR code and tx_code), and signs out. Screenshots of each
step go to ``test-artifacts/web/learner-*.png``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.credentials.support import request_body
from tests.forms import AN
from tests.mail_support import FROM, Inbox, free_port, smtp_server
from tests.support import bearer
from tests.web.support import ARTIFACTS, launch_chromium, serving

ME_LINK = re.compile(r"https?://\S+/me\b")
SIGN_IN_LINK = re.compile(r"https?://\S+/me/sign-in/sgn_[A-Za-z0-9_\-]+")


@pytest.fixture
def mailbox() -> Iterator[tuple[Inbox, str]]:
    box, port = Inbox(), free_port()
    controller = smtp_server(box, port)
    yield box, f"smtp://mailer:s%40cret@127.0.0.1:{port}"
    controller.stop()


def _text(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(("plain",)).get_content()  # type: ignore[no-any-return]


async def test_award_mail_sign_in_credential_pdf_wallet_sign_out(mailbox) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    box, smtp_url = mailbox
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: ARTIFACTS / f"learner-{name}.png"  # noqa: E731
    with serving(env={"ACADEMY_SMTP_URL": smtp_url, "ACADEMY_MAIL_FROM": FROM}) as srv:
        srv.academy("demo", "load")
        base = srv.base
        with httpx.Client(base_url=base, headers=bearer(srv.key("ucll", "issue"))) as http:
            issued = http.post("/api/v1/institutions/ucll/credentials/", json=request_body())
            assert issued.status_code == 201, issued.text
        credential_id = issued.json()["id"].rsplit("/", 1)[-1]

        award = box.wait_for("", 1)  # the first mail: the award
        assert [to for to, m in box.messages if m is award] == [[AN]]
        me_url = ME_LINK.search(_text(award))
        assert me_url, _text(award)

        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            page = await browser.new_page(locale="en-GB", viewport={"width": 1000, "height": 900})
            try:
                await page.goto(me_url.group(0))
                await page.get_by_label("Your e-mail address").fill(AN)
                await page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
                await expect(page.get_by_role("status")).to_contain_text("link")
                await page.screenshot(path=shot("1-link-sent"), full_page=True)

                sign_in = box.wait_for("sign-in link", 1)
                link = SIGN_IN_LINK.search(_text(sign_in))
                assert link, _text(sign_in)
                await page.goto(link.group(0))
                await page.screenshot(path=shot("2-confirm"), full_page=True)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{base}/me")
                entry = page.locator(f'a[href="/credentials/{credential_id}"]')
                await expect(entry).to_be_visible()
                await page.screenshot(path=shot("3-me"), full_page=True)

                await entry.click()
                await page.wait_for_url(f"{base}/credentials/{credential_id}")
                await expect(page.locator("img.badge-image")).to_be_visible()
                pdf_link = page.get_by_role("link", name="Certificate to print (PDF)")
                pdf = await page.request.get(base + await pdf_link.get_attribute("href"))
                assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF-")
                await page.screenshot(path=shot("4-credential"), full_page=True)

                await page.goto(f"{base}/me")
                await page.get_by_role("button", name="Add to wallet").first.click()
                await expect(page.get_by_role("img", name=re.compile("QR", re.I))).to_be_visible()
                await expect(page.locator("output.code")).to_have_text(re.compile(r"^\d{6}$"))
                await page.screenshot(path=shot("5-wallet"), full_page=True)

                await page.goto(f"{base}/me")
                await page.get_by_role("button", name=re.compile("sign out", re.I)).click()
                await expect(page.get_by_label("Your e-mail address")).to_be_visible()
                gone = await page.request.get(f"{base}/credentials/{credential_id}.pdf")
                assert gone.status == 404  # signed out: no longer the holder
                await page.screenshot(path=shot("6-signed-out"), full_page=True)
            finally:
                await browser.close()
