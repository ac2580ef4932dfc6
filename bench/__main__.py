"""`python -m bench`: build populations on PostgreSQL, print the table, write JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

from bench.harness import ROOT, database_url, make_app, recreate_database, release

MEASURES = ["redirect", "ingestion", "scoring", "top_leads", "rescore", "attribution", "backtest"]
# Measures whose cost does not depend on a population size: run once, at the largest scale asked for.
UNSCALED = {"redirect", "ingestion"}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        nargs="+",
        default=[1.0],
        help="population size factor(s): 1 = the issue's sizes, 0.1 = 10x smaller; several give cost-growth rows",
    )
    parser.add_argument("--only", nargs="*", choices=MEASURES, default=MEASURES)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    return parser.parse_args(argv)


def format_number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.4g}"


def format_ratio(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def print_table(rows) -> None:
    header = ("measure", "scale", "size", "peerloop", "baseline", "unit", "ratio", "target", "met")
    lines = [
        (
            r.measure,
            f"{r.scale:g}",
            r.size,
            format_number(r.peerloop),
            format_number(r.baseline),
            r.unit,
            format_ratio(r.ratio),
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
            print(f"  {r.measure} @ {r.scale:g}: {r.notes}")


def growth(rows) -> list[dict]:
    """For each measure run at several scales: how its figures grew from one scale to the next."""
    by_measure: dict[str, list] = {}
    for r in rows:
        by_measure.setdefault(r.measure, []).append(r)
    out = []
    for measure, runs in by_measure.items():
        runs.sort(key=lambda r: r.scale)
        for small, large in zip(runs, runs[1:], strict=False):
            out.append(
                {
                    "measure": measure,
                    "from_scale": small.scale,
                    "to_scale": large.scale,
                    "size_factor": large.scale / small.scale,
                    "peerloop_growth": large.peerloop / small.peerloop if small.peerloop else float("nan"),
                    "baseline_growth": large.baseline / small.baseline if small.baseline else float("nan"),
                    "unit": large.unit,
                }
            )
    return out


def print_growth(items) -> None:
    if not items:
        return
    print("\ncost growth (figure at the larger scale / figure at the smaller one)")
    for g in items:
        print(
            f"  {g['measure']}: scale {g['from_scale']:g} → {g['to_scale']:g} ({g['size_factor']:g}× data): "
            f"peerloop ×{g['peerloop_growth']:.2f}, baseline ×{g['baseline_growth']:.2f} ({g['unit']})"
        )


def plan(measures: list[str], scales: list[float]) -> list[tuple[str, float]]:
    largest = max(scales)
    return [(name, scale) for scale in sorted(scales) for name in measures if name not in UNSCALED or scale == largest]


def main(argv=None) -> int:
    args = parse_args(argv)
    url = database_url()
    rows = []
    started = time.monotonic()
    for name, scale in plan(args.only, args.scale):
        print(f"[{name} @ scale {scale:g}] preparing a fresh database ({time.monotonic() - started:.0f}s)",
              file=sys.stderr, flush=True)  # fmt: skip
        recreate_database(url)
        app = make_app(url)
        for row in import_module(f"bench.{name}").run(app, url, scale):
            row.scale = scale
            rows.append(row)
        release(app)
    print_table(rows)
    grown = growth(rows)
    print_growth(grown)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "scales": sorted(args.scale),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "seconds": round(time.monotonic() - started, 1),
        "rows": [r.as_dict() for r in rows],
        "growth": grown,
    }
    args.output.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {args.output} after {report['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
