"""Snipe-IT import figures: a real-shaped report with a mapping, against the tracker's own format.

Run: python3 bench/bench_snipeit.py [--rows 100000] [--runs 3]
Writes a Snipe-IT custom asset report (20 columns, statuses with their ``(meta)`` suffix, some
formula-escaped cells, 40 categories and 60 locations that a mapping file maps to the plan) and
the same assets in the tracker's format, then times the real `tracker import` on each, runs
interleaved. Prints a table of medians; the tracker format is the baseline.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker.inventory import snipeit  # noqa: E402
from tracker.inventory.cells import from_spreadsheet  # noqa: E402
from tracker.inventory.mapping import toml_string  # noqa: E402
from tracker.plan import load_plan  # noqa: E402

HEADER = [
    "Company", "Asset Name", "Asset Tag", "Model", "Model No.", "Category", "Manufacturer",
    "Serial", "Purchased", "Cost", "Order Number", "Supplier", "Location", "Default Location",
    "Checked Out", "Type", "Status", "Warranty", "Notes", "Hostname",
]  # fmt: skip
STATUSES = [
    "Ready to Deploy (deployable)", "Ready to Deploy (deployed)", "Out for Repair (undeployable)",
    "Lost/Stolen (archived)", "Pending (pending)", "Packed (pending)",
]  # fmt: skip


def write_files(tmp: Path, rows: int) -> tuple[Path, Path, Path]:
    plan = load_plan()
    kinds, sites = list(plan.kinds), list(plan.sites)
    rnd = random.Random(1)
    categories = {f"Category {i}": kinds[i % len(kinds)] for i in range(40)}
    locations = {f"Location {i}": sites[i % len(sites)] for i in range(60)}
    report, ours = tmp / "custom-asset-report.csv", tmp / "tracker.csv"
    with (
        report.open("w", newline="", encoding="utf-8") as f,
        ours.open("w", newline="", encoding="utf-8") as g,
    ):
        w, t = csv.writer(f), csv.writer(g)
        w.writerow(HEADER)
        t.writerow(["tag", "kind", "name", "serial", "site", "step", "notes", "home_site"])
        for i in range(rows):
            cat, loc, home = (
                rnd.choice(list(categories)),
                rnd.choice(list(locations)),
                rnd.choice(list(locations)),
            )
            status = rnd.choice(STATUSES)
            notes = "'=escaped" if i % 50 == 0 else f"note {i}"
            tag, name, serial = f"SN-{i:06d}", f"Asset {i} æøå", f"S{i:08d}"
            w.writerow(
                ["Kommune", name, tag, f"Model {i % 300}", "", cat, "Dell", serial,
                 "2023-01-23", "100.00", "PO-1", "Atea", loc, home, "", "", status, "36",
                 notes, ""]
            )  # fmt: skip
            step = snipeit.step_from_status(status) or "in_service"
            t.writerow(
                [tag, categories[cat], name, serial, locations[loc], step,
                 from_spreadsheet(notes), locations[home]]
            )  # fmt: skip
    mapping = tmp / "map.toml"
    lines = ["[kinds]"] + [f"{toml_string(c)} = {toml_string(k)}" for c, k in categories.items()]
    lines += ["[sites]"] + [f"{toml_string(c)} = {toml_string(s)}" for c, s in locations.items()]
    lines += ["[steps]", '"Pending" = "in_service"']
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report, mapping, ours


def tracker_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "tracker"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tracker"]


def run(tmp: Path, *args: str) -> float:
    db = tmp / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    for old in tmp.glob("written-map*.toml"):
        old.unlink()
    t = time.perf_counter()
    subprocess.run([*tracker_cmd(), "--db", str(db), "import", *args], check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        report, mapping, ours = write_files(tmp, args.rows)
        base, mapped, template = [], [], []
        for _ in range(args.runs):  # interleaved, so all see the same machine state
            base.append(run(tmp, str(ours)))
            mapped.append(run(tmp, str(report), "--map", str(mapping)))
            template.append(run(tmp, str(report), "--write-map", str(tmp / "written-map.toml")))
        b = statistics.median(base)
        table = [
            ("tracker format (baseline)", statistics.median(base)),
            ("Snipe-IT report --map", statistics.median(mapped)),
            ("Snipe-IT report --write-map", statistics.median(template)),
        ]
        print(
            f"| `tracker import`, {args.rows:,} rows, median of {args.runs} | time | vs baseline |"
        )
        print("|---|---|---|")
        for label, value in table:
            print(f"| {label} | {value:.2f} s | {value / b:.2f}x |")


if __name__ == "__main__":
    main()
