"""The API docs work on an air-gapped machine: `/schema` loads nothing from another host.

Checked twice: every URL the page names is ours and answers, and Debian's Chromium, with
every request off the server refused, renders the document (its title and an operation).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bench._harness import Server
from tests.web.support import launch_chromium, serving

URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.fixture(scope="module")
def docs_server() -> Iterator[Server]:
    with serving() as srv:
        yield srv


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_docs_page_names_only_our_own_files(client: Any, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = URL.findall(page.text)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), urls
    for url in urls:
        if url.startswith("data:"):
            continue
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not ours"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in {"text/javascript",
                                                               "application/javascript",
                                                               "text/css"}, url


async def test_docs_render_with_no_network_but_ours(docs_server: Server) -> None:
    from playwright.async_api import async_playwright, expect

    base = docs_server.base
    refused: list[str] = []

    async def only_ours(route: Any) -> None:
        if route.request.url.startswith(base):
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()
            await page.route("**/*", only_ours)
            await page.goto(f"{base}/schema")
            await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
                "Academy", timeout=30_000)
            await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        finally:
            await browser.close()
    assert refused == []
