"""``make fuzz``: a longer Schemathesis session than the one in the test suite.

    .venv/bin/python bench/fuzz.py              # 400 examples an operation and mode, then stateful
    .venv/bin/python bench/fuzz.py --examples 1000 --stateful-examples 500 --seed 1

1. ``tests/api/test_schemathesis.py`` with ``--examples`` examples per operation and mode
   (the suite runs 150) in worker processes: every check, valid and invalid input, with
   and without a key;
2. Schemathesis' stateful phase against a fresh server with the demo catalogue: chains of
   calls linked through the responses (a created resource is read, changed, deleted),
   checked for server errors and for conforming statuses, content types and bodies. Its
   report (JUnit and a pytest reproducer file) goes to ``--report-dir``.
Exits non-zero when either finds a failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _harness import BIN, server  # noqa: E402

__all__ = ["main"]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance," \
         "response_schema_conformance"


def suite(examples: int, seed: int) -> int:
    env = {**os.environ, "ACADEMY_SCHEMATHESIS_EXAMPLES": str(examples),
           "ACADEMY_SCHEMATHESIS_SEED": str(seed)}
    return subprocess.call([sys.executable, "-m", "pytest", "tests/api/test_schemathesis.py",
                            "-p", "no:cacheprovider", "-q"], cwd=ROOT, env=env)


def stateful(examples: int, seed: int, report_dir: Path, port: int) -> int:
    with server(port=port) as srv:
        srv.academy("demo", "load")
        key = srv.key("kuleuven", "admin")
        return subprocess.call([
            str(BIN / "st"), "run", f"{srv.base}/schema/openapi.json",
            "--phases", "stateful", "--checks", CHECKS,
            "-H", f"Authorization: Bearer {key}",
            "--max-examples", str(examples), "--seed", str(seed),
            "--generation-codec", "utf-8", "--generation-allow-x00", "false",
            "--report", "junit,pytest", "--report-dir", str(report_dir),
        ], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=400, help="Per operation and mode")
    parser.add_argument("--stateful-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--report-dir", type=Path, default=ROOT / ".schemathesis" / "fuzz")
    parser.add_argument("--skip-suite", action="store_true", help="Only the stateful phase")
    args = parser.parse_args(argv)
    failed = 0 if args.skip_suite else suite(args.examples, args.seed)
    failed |= stateful(args.stateful_examples, args.seed, args.report_dir, args.port)
    print("fuzz: " + ("FAILURES, see above" if failed else "no failures"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
