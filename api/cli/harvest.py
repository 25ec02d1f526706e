"""``academy harvest``, ``academy harvest-worker`` and ``academy sources``.

Unlike the API, the CLI may point a source at a local file (``--location ./feed.csv``);
the path is stored absolute, so the server's background harvester finds it too. URLs obey
the same ``ACADEMY_HARVEST_*`` settings as the server's harvests.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.session import run_async
from api.db import Database
from api.jobs import harvest_policy, run_worker
from api.settings import load_settings
from catalogue.errors import DomainError
from catalogue.harvest import (
    DEFAULT_TIMEOUT,
    MIN_INTERVAL,
    SOURCE_TYPES,
    active_run,
    find_sources,
    put_source,
    run_harvest,
)
from catalogue.models import HarvestRun, HarvestSource

__all__ = ["harvest", "sources"]

_COUNTS = ("fetched", "created", "updated", "unchanged", "skipped", "withdrawn", "invalid")


def _summary(console: Console, label: str, source: HarvestSource, run: HarvestRun) -> None:
    colour = {"succeeded": "green", "failed": "red"}.get(run.status, "yellow")
    counts = ", ".join(f"{run.counts.get(k, 0)} {k}" for k in _COUNTS)
    console.print(f"[bold]{label}[/]: [{colour}]{run.status}[/] ({counts})")
    for error in run.errors[:5]:
        where = " ".join(p for p in (error.get("code"), error.get("pointer")) if p)
        console.print(f"  - {where + ': ' if where else ''}{error.get('message')}", markup=False,
                      highlight=False)
    if len(run.errors) > 5:
        console.print(f"  ... and more; see GET /api/v1/institutions/{label.split('/')[0]}/harvests")
    if run.status == "failed":
        console.print(
            f"  Nothing was written or withdrawn. Check that {source.location} is reachable and "
            f"serves a complete {source.type} feed, then run "
            f"`academy harvest --institution {label.split('/')[0]} --source {source.name}` again.",
            markup=False, highlight=False)
    elif run.status in ("empty", "partial"):
        console.print("  Nothing was withdrawn: a harvest only withdraws courses when the feed is "
                      "complete, non-empty and every item has a code.", markup=False)


async def _harvest(slug: str | None, name: str | None, timeout: float) -> int:
    """Run the matching sources, each in its own transaction; return how many failed."""
    console = Console(soft_wrap=True)
    settings = load_settings()
    policy = msgspec.structs.replace(harvest_policy(settings), request_timeout=timeout)
    database = Database(settings)
    database.open()
    assert database.session_factory is not None
    failed = 0
    try:
        async with database.session_factory() as session:
            found = await find_sources(session, slug=slug, name=name)
        if not found:
            console.print("No harvest sources match; add one with `academy sources set`.")
            return 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            for source, institution in found:
                label = f"{institution}/{source.name}"
                async with database.session_factory() as session:
                    busy = await active_run(session, source.id)
                if busy is not None:  # one run at a time per source, as through the API
                    console.print(f"[bold]{label}[/]: run {busy} is queued or running in a "
                                  "harvest worker; skipped")
                    continue
                task = bar.add_task(f"{label} fetching", total=None)

                def progress(done: int, total: int | None, phase: str, task: Any = task,
                             label: str = label) -> None:
                    bar.update(task, description=f"{label} {phase}", completed=done, total=total)

                async with database.session_factory() as session:
                    run = await run_harvest(session, source, policy=policy, progress=progress)
                    await session.commit()
                bar.remove_task(task)
                _summary(console, label, source, run)
                failed += run.status == "failed"
    finally:
        await database.close()
    return failed


@click.command("harvest")
@click.option("--institution", default=None, help="Only this institution's sources (slug).")
@click.option("--source", default=None, help="Only sources with this name.")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=float,
              help="Seconds each feed request may take.")
def harvest(institution: str | None, source: str | None, timeout: float) -> None:
    """Harvest sources now, with a progress bar and a summary per run."""
    try:
        failed = asyncio.run(_harvest(institution, source, timeout))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    if failed:
        sys.exit(1)


@click.command("harvest-worker")
def harvest_worker() -> None:
    """Run queued and scheduled harvests until stopped (a process of its own).

    `academy serve` starts one itself unless ACADEMY_BACKGROUND_HARVEST=0; run this where
    harvests should happen apart from the servers (several may run at once).
    """
    run_worker(load_settings())


@click.group()
def sources() -> None:
    """Harvest sources (feeds we pull from partners)."""


def _location(location: str) -> str:
    if location.startswith(("http://", "https://")):
        return location
    path = Path(location.removeprefix("file://")).expanduser().resolve()
    if not path.is_file():
        raise click.BadParameter(f"{path} is not a file", param_hint="--location")
    return str(path)


@sources.command("set")
@click.option("--institution", required=True, help="Institution slug, e.g. ucll.")
@click.argument("name")
@click.option("--type", "type_", required=True, type=click.Choice(SOURCE_TYPES))
@click.option("--location", required=True, help="An http(s) URL, or a local file (json, csv).")
@click.option("--interval", default=1440, show_default=True, type=click.IntRange(MIN_INTERVAL),
              help="Minutes between background harvests.")
@click.option("--mapping", default=None, help='JSON, e.g. \'{"columns": {"code": "Code"}}\'.')
@click.option("--overwrite-push", is_flag=True, help="May overwrite courses published by push.")
def sources_set(institution: str, name: str, type_: str, location: str, interval: int,
                mapping: str | None, overwrite_push: bool) -> None:
    """Create or replace harvest source NAME of an institution."""
    try:
        mapping_value = json.loads(mapping) if mapping else {}
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--mapping") from exc
    if not isinstance(mapping_value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--mapping")
    where = _location(location)

    policy = harvest_policy(load_settings())

    async def go(session: AsyncSession) -> tuple[HarvestSource, bool]:
        return await put_source(session, institution, name, type_, where, interval,
                                mapping_value, overwrite_push, allow_files=True, policy=policy)

    _, created = run_async(go)
    click.echo(f"{'created' if created else 'updated'} source {institution}/{name} ({type_} {where})")


@sources.command("list")
@click.option("--institution", default=None, help="Only this institution's sources.")
def sources_list(institution: str | None) -> None:
    """List harvest sources and when each runs next."""

    async def go(session: AsyncSession) -> list[tuple[HarvestSource, str]]:
        return await find_sources(session, slug=institution)

    rows = run_async(go)
    click.echo(f"{'source':30}  {'type':8}  {'every':>6}  {'next run':20}  location")
    for source, slug in rows:
        due = f"{source.next_run_at:%Y-%m-%d %H:%M:%S}" if source.next_run_at else "due now"
        click.echo(f"{slug + '/' + source.name:30}  {source.type:8}  "
                   f"{source.interval_minutes:>5}m  {due:20}  {source.location}")
