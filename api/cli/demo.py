"""``academy demo``: the demo catalogue, loaded through the publishing service."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.session import run_async

__all__ = ["demo"]


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalogue already has courses.")
@click.option("--path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON Lines file in the Education4Climate shape (default: the bundled one).")
def demo_load(if_empty: bool, path: str | None) -> None:
    """Load the real 2024-2025 programmes of five partners through the publishing service,
    and the six microcredentials that the example pathway stacks."""
    from pathlib import Path

    from rich.progress import Progress
    from sqlalchemy import text

    from catalogue.demo import DEMO_PATH, load_demo_documents, stack_documents
    from catalogue.institutions import get_institution
    from catalogue.service import prepare_many, store

    pairs = load_demo_documents(Path(path) if path else DEMO_PATH)
    if not path:
        pairs += stack_documents()  # the units of the README's pathway example

    async def go(session: AsyncSession) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "invalid": 0}
        if if_empty and await session.scalar(text("SELECT EXISTS (SELECT 1 FROM course)")):
            click.echo("catalogue already has courses; demo data not loaded")
            return counts
        by_institution: dict[str, list[dict[str, Any]]] = {}
        for slug, doc in pairs:
            by_institution.setdefault(slug, []).append(doc)
        with Progress() as progress:
            task = progress.add_task("loading demo catalogue", total=len(pairs))
            for slug, docs in sorted(by_institution.items()):
                institution = await get_institution(session, slug)
                ready, invalid = prepare_many(docs)
                for item in invalid:
                    click.echo(f"invalid {slug}/{item.code}: {item.errors}", err=True)
                counts["invalid"] += len(invalid)
                for stored in (await store(session, institution.id, ready, source="demo")).values():
                    counts[stored.status] += 1
                progress.advance(task, len(docs))
        return counts

    counts = run_async(go)
    click.echo("demo catalogue: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
