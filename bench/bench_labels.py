"""Label figures: 1,000 labels to one PDF (the issue's target: under 5 s).

Run: python3 bench/bench_labels.py [--labels 1000] [--runs 5]
Prints a table: median of several runs, and each figure against a baseline in the same process
(qrcode's own make_image of as many codes, nothing drawn around them, nothing written).
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import qrcode  # noqa: E402
from bench_core import timed  # noqa: E402

from tracker import store  # noqa: E402
from tracker.inventory.importer import import_file  # noqa: E402
from tracker.labels import make, pdf  # noqa: E402
from tracker.labels import pages as label_pages  # noqa: E402
from tracker.labels.layouts import LAYOUTS  # noqa: E402
from tracker.plan import load_plan  # noqa: E402

KINDS = ["pass_ws", "mitid_ws", "printer", "laptop", "headset"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["tag", "kind", "name", "serial", "site", "step", "hostname", "notes"])
        for i in range(rows):
            name = f"Arbejdsstation {i} (skranke {i % 7}) æøå"
            row = [f"EKS-B-{i:05d}", KINDS[i % 5], name, f"SN{i:08d}", "raadhus", "in_service"]
            w.writerow([*row, "", ""])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    n = args.labels
    plan = load_plan()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        csv_path, db_path = tmpdir / "assets.csv", tmpdir / "tracker.db"
        write_csv(csv_path, n)
        db = store.open_db(db_path)
        result = import_file(db, plan, csv_path)
        assert result.ok, result.errors[:3]
        chosen = make.select(db, plan, all_assets=True)
        assert len(chosen) == n
        payloads = [x.payload for x in chosen]

        def baseline() -> None:
            for p in payloads:
                qrcode.make(p)

        def codes_only() -> None:
            for p in payloads:
                label_pages.qr_matrix(p)

        rows: list[tuple[str, list[float], str]] = []
        base = timed(baseline, args.runs)
        rows.append((f"baseline: qrcode.make() x {n}", base, ""))
        rows.append((f"labels.qr_matrix() x {n}", timed(codes_only, args.runs), ""))
        for name, lay in LAYOUTS.items():
            out = tmpdir / f"{name}.pdf"
            for workers in (1, None):

                def run(lay=lay, out=out, workers=workers) -> None:
                    make.write(chosen, out, lay, workers=workers)

                times = timed(run, args.runs)
                pages = -(-n // lay.per_page)
                size = out.stat().st_size / 1e6
                how = "1 process" if workers == 1 else f"{pdf._cpus()} CPUs"
                note = f"{pages} pages, {size:.1f} MB"
                rows.append((f"{n} labels -> PDF, {name}, {how}", times, note))

        out = tmpdir / "cli.pdf"
        cmd = [sys.executable, "-m", "tracker", "--db", str(db_path), "labels", "--all"]
        cmd += ["--out", str(out)]

        def cli() -> None:
            subprocess.run(cmd, check=True, capture_output=True)

        times = timed(cli, args.runs)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        note = f"peak RSS {rss:.0f} MB (main process)"
        rows.append((f"tracker labels --all ({n}), a4-3x7", times, note))
        db.close()

    base_median = statistics.median(base)
    print(f"{n} labels, median of {args.runs} runs (target: {n} labels to one PDF < 5 s)")
    print(f"{'what':<48} {'median s':>9} {'min s':>7} {'x baseline':>11}  note")
    for what, times, note in rows:
        med = statistics.median(times)
        ratio = med / base_median
        print(f"{what:<48} {med:>9.3f} {min(times):>7.3f} {ratio:>11.2f}  {note}")


if __name__ == "__main__":
    main()
