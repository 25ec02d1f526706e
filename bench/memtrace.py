"""Run ``academy`` with a memory trace: what grows, and whether it is Python objects or malloc.

    .venv/bin/python bench/memtrace.py --out mem.txt --every 30 --frames 8 -- serve --port 8000

Every ``--every`` seconds it appends to ``--out`` the process RSS, glibc's heap statistics
(``mallinfo2``: bytes in use versus free inside the heap, i.e. fragmentation) and, with
``--frames`` > 0, the tracemalloc total and the top allocation growth by traceback since the
first report (``--baseline`` seconds after start, when tracing begins: tracing start-up
would slow it several-fold). ``--trim`` calls ``malloc_trim(0)`` before each report, to
tell memory that glibc could hand back from memory that is really held. Tracing costs
time (a server serves ~7x fewer requests) and some memory of its own: use it to find what
grows, not to measure RSS.
``bench/load.py --serve --trace FILE`` starts the server this way.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import linecache
import sys
import threading
import time
import tracemalloc
from pathlib import Path

__all__ = ["main"]

TOP = 25


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):
        return None


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _report(out: Path, started: float, frames: int, trim: bool, libc: ctypes.CDLL | None,
            baseline: list[tracemalloc.Snapshot]) -> None:
    lines = [f"--- t={time.monotonic() - started:.0f}s"]
    if trim and libc is not None:
        libc.malloc_trim(0)
    lines.append(f"rss {_rss_mib():.1f} MiB")
    if libc is not None:
        m = libc.mallinfo2()
        lines.append(f"malloc heap {m.arena / 2**20:.1f} MiB (in use {m.uordblks / 2**20:.1f}, "
                     f"free {m.fordblks / 2**20:.1f}), mmapped {m.hblkhd / 2**20:.1f} MiB")
    if frames:
        current, peak = tracemalloc.get_traced_memory()
        lines.append(f"traced {current / 2**20:.1f} MiB (peak {peak / 2**20:.1f})")
        snap = tracemalloc.take_snapshot().filter_traces([
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, linecache.__file__),  # our own reporting
            tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")])
        if not baseline:
            baseline.append(snap)
        else:
            for stat in snap.compare_to(baseline[0], "traceback")[:TOP]:
                if stat.size_diff <= 0:
                    continue
                lines.append(f"{stat.size_diff / 1024:+.0f} KiB {stat.count_diff:+d} blocks")
                lines += [f"    {line}" for line in stat.traceback.format(most_recent_first=True)]
    with out.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


def start(out: Path, every: float, frames: int, baseline_after: float, trim: bool) -> None:
    libc = _libc()
    started = time.monotonic()
    baseline: list[tracemalloc.Snapshot] = []

    def loop() -> None:
        time.sleep(baseline_after)
        if frames:
            tracemalloc.start(frames)
        while True:
            _report(out, started, frames, trim, libc, baseline)
            time.sleep(every)

    threading.Thread(target=loop, name="memtrace", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--frames", type=int, default=8, help="Traceback depth; 0: no tracemalloc")
    parser.add_argument("--baseline", type=float, default=30,
                        help="Seconds before the first report")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) before each report")
    parser.add_argument("academy", nargs=argparse.REMAINDER, help="-- then academy's arguments")
    args = parser.parse_args(argv)
    start(args.out, args.every, args.frames, args.baseline, args.trim)
    from api.cli import main as academy

    rest = args.academy[1:] if args.academy[:1] == ["--"] else args.academy
    return academy(rest)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
