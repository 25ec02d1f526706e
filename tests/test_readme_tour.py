"""The README's API tour runs as written, against a real ``academy serve`` on the demo data.

The commands are read from README.md itself (every ```sh block of the "API tour" section,
in order, as one shell session), so the test and the README cannot drift. A command's
expected HTTP status is the number that opens its trailing comment (``# 201 ...``); a curl
without one must answer 2xx. A block right after ``<!-- tour: not run ... -->`` is left out
(the comment says why, and which test runs it instead). The only rewrite is the address:
``localhost:8000`` becomes the test server's.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.live import ROOT, live_server

README = ROOT / "README.md"
SECTION = re.compile(r"^## API tour\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"(<!-- tour: not run[^>]*-->\s*)?```sh\n(.*?)```", re.S)
EXPECT = re.compile(r"#\s*(\d{3})\b")
FINDS = re.compile(r"\bfinds ([A-Z][A-Z0-9-]+)")
MISSES = re.compile(r"\bno ([A-Z][A-Z0-9-]+)")
VERDICT = re.compile(r'"verified": (true|false)')

# `curl` records its status and the line it came from; the body goes to stdout as usual.
PROLOGUE = r"""
set -euo pipefail
curl() {
  local body status
  body=$(mktemp)
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@")
  cat "$body"; mv "$body" "$TOUR_BODIES/$TOUR_LINE"
  echo "$TOUR_LINE $TOUR_EXPECT $status" >> "$TOUR_LOG"
}
"""


@dataclass(frozen=True)
class Command:
    line: int  # in README.md
    text: str
    expect: str  # "2xx" or a status code
    claim: str = ""  # the rest of the comment: "finds CODE", "no CODE", '"verified": true' are checked


def tour_commands(readme: str) -> list[Command]:
    """The tour's commands: continuation lines joined, comments kept apart."""
    section = SECTION.search(readme)
    assert section, "README.md has no '## API tour' section"
    offset = readme[: section.start(1)].count("\n") + 1
    commands: list[Command] = []
    for block in BLOCK.finditer(section.group(1)):
        if block.group(1):
            continue
        first = offset + section.group(1)[: block.start(2)].count("\n")
        pending: list[str] = []
        for i, raw in enumerate(block.group(2).splitlines()):
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            code, comment = split_comment(raw)
            pending.append(code.rstrip())
            if code.rstrip().endswith("\\"):
                continue
            match = EXPECT.match(comment)
            commands.append(Command(first + i - len(pending) + 1, "\n".join(pending),
                                    match.group(1) if match else "2xx",
                                    comment[match.end():] if match else ""))
            pending = []
    return commands


def split_comment(line: str) -> tuple[str, str]:
    """A shell line split at its trailing comment (a `#` outside quotes after a blank)."""
    quote: str | None = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def script(commands: list[Command], base: str) -> str:
    body = [PROLOGUE]
    for command in commands:
        text = command.text.replace("localhost:8000", base).replace("127.0.0.1:8000", base)
        body.append(f"TOUR_LINE={command.line} TOUR_EXPECT={command.expect}\n{text}\n")
    return "\n".join(body)


def test_tour_commands_are_found() -> None:
    commands = tour_commands(README.read_text())
    curls = [c for c in commands if "curl " in c.text]
    assert len(curls) >= 30, "the tour lost its curl commands: check the README's ```sh blocks"
    assert all(c.expect == "2xx" or 100 <= int(c.expect) < 600 for c in commands)


def claims_broken(commands: list[Command], bodies: Path) -> list[str]:
    """What a comment promises of an answer's body, where it is checkable."""
    broken = []
    for command in commands:
        body = bodies / str(command.line)
        text = body.read_text(errors="replace") if body.exists() else ""
        for pattern, present in ((FINDS, True), (MISSES, False)):
            for code in pattern.findall(command.claim):
                if (f'"{code}"' in text) != present:
                    broken.append(f"README.md line {command.line}: {pattern.pattern} {code}")
        for verdict in VERDICT.findall(command.claim):
            if not re.search(rf'"verified":\s*{verdict}', text):
                broken.append(f"README.md line {command.line}: not verified: {verdict}")
    return broken


def workdir(tmp_path: Path) -> Path:
    """A directory like the repository's root, so the tour's own files land in the test's."""
    here = tmp_path / "tour"
    here.mkdir()
    for name in ("schemas", "bench", ".venv"):
        (here / name).symlink_to(ROOT / name)
    return here


async def test_readme_tour_runs_as_written(database_url: str, tmp_path: Path) -> None:
    commands = tour_commands(README.read_text())
    log, bodies = tmp_path / "tour.log", tmp_path / "bodies"
    bodies.mkdir()
    async with live_server(database_url, tmp_path) as server:
        run = subprocess.run(
            ["bash", "-c", script(commands, server.base.removeprefix("http://"))],
            env={**server.env, "TOUR_LOG": str(log), "TOUR_BODIES": str(bodies),
                 "TOUR_LINE": "0", "TOUR_EXPECT": "2xx"},
            cwd=workdir(tmp_path), capture_output=True, text=True, timeout=600)
    ran = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    if run.returncode != 0:
        last = ran[-1][0] if ran else "the first command"
        pytest.fail(f"the tour stopped after README.md line {last}:\n{run.stderr[-3000:]}")
    wrong = [f"README.md line {line}: expected {expect}, got {status}"
             for line, expect, status in ran
             if not (status == expect or expect == "2xx" and status.startswith("2"))]
    assert not wrong, "\n".join(wrong)
    broken = claims_broken(commands, bodies)
    assert not broken, "\n".join(broken)
    curl_lines = {str(c.line) for c in commands if re.search(r"(^|[\s(|])curl ", c.text)}
    assert curl_lines <= {line for line, _, _ in ran}, "some curl commands did not run"
