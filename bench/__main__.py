"""`python -m bench`: build populations on PostgreSQL, print the table, write JSON."""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

from bench.harness import ROOT, database_url, make_app, recreate_database

MEASURES = ["redirect", "ingestion", "scoring", "top_leads", "rescore", "attribution"]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="population size factor (0.1 = 10x smaller)")
    parser.add_argument("--only", nargs="*", choices=MEASURES, default=MEASURES)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    return parser.parse_args(argv)


def format_number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.4g}"


def print_table(rows) -> None:
    header = ("measure", "size", "peerloop", "baseline", "unit", "ratio", "target", "met")
    lines = [
        (
            r.measure,
            r.size,
            format_number(r.peerloop),
            format_number(r.baseline),
            r.unit,
            f"{r.ratio:.2f}",
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    for line in (header, *lines):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
    for r in rows:
        if r.notes:
            print(f"  {r.measure}: {r.notes}")


def main(argv=None) -> int:
    args = parse_args(argv)
    url = database_url()
    rows = []
    started = time.monotonic()
    for name in args.only:
        print(f"[{name}] preparing a fresh database", file=sys.stderr, flush=True)
        recreate_database(url)
        app = make_app(url)
        rows.extend(import_module(f"bench.{name}").run(app, url, args.scale))
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "scale": args.scale,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "seconds": round(time.monotonic() - started, 1),
        "rows": [r.as_dict() for r in rows],
    }
    args.output.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
