"""`python -m bench.report [results.json]`: the results as a Markdown table (for docs/benchmarks.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.__main__ import format_number, format_ratio
from bench.harness import ROOT


def markdown(report: dict) -> str:
    lines = [
        "| measure | scale | size | Peerloop | baseline | unit | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        met = {True: "yes", False: "**NO**", None: "-"}[r["met"]]
        ratio = r["peerloop"] / r["baseline"] if r["baseline"] else float("nan")
        lines.append(
            f"| {r['measure']} | {r['scale']:g} | {r['size']} | {format_number(r['peerloop'])} | "
            f"{format_number(r['baseline'])} | {r['unit']} | {format_ratio(ratio)} | {r['target']} | {met} |"
        )
    for g in report.get("growth", []):
        lines.append(
            f"- {g['measure']}: scale {g['from_scale']:g} → {g['to_scale']:g} ({g['size_factor']:g}× data): "
            f"Peerloop ×{g['peerloop_growth']:.2f}, baseline ×{g['baseline_growth']:.2f}"
        )
    notes = [f"- {r['measure']} @ {r['scale']:g}: {r['notes']}" for r in report["rows"] if r["notes"]]
    growth = [line for line in lines if line.startswith("- ")]
    table = [line for line in lines if line.startswith("|")]
    text = "\n".join([*table, "", "Cost growth:", "", *growth, "", "Notes:", "", *notes])
    return text.replace("<", "&lt;").replace(">", "&gt;")


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else ROOT / "bench" / "results" / "latest.json"
    print(markdown(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
