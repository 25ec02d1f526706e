"""The ``academy`` command line: one group, every command registered here.

``main`` checks what every command needs (a usable ACADEMY_SECRET_KEY), then click runs the
command from its module: ``serve``, ``db``, ``keys``, ``demo``, ``harvest``/``sources``,
``backup``/``restore``. Commands that touch the database run one transaction each
(``api.cli.session``).
"""

from __future__ import annotations

import os

import click

from api.cli import backup, db, demo, harvest, keys, serve
from api.settings import check_secret_key

__all__ = ["main"]


@click.group()
def main() -> None:
    """Academy: course catalogue and microcredential registry."""
    # A weak ACADEMY_SECRET_KEY is refused before any command runs (nothing generated here:
    # restore decides itself which secret key a new data directory gets).
    if key := os.environ.get("ACADEMY_SECRET_KEY"):
        try:
            check_secret_key(key)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None


COMMANDS: tuple[click.Command, ...] = (
    serve.serve, db.db, keys.keys, demo.demo,
    harvest.harvest, harvest.harvest_worker, harvest.sources,
    backup.backup, backup.restore,
)
for _command in COMMANDS:
    main.add_command(_command)
