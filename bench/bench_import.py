"""Measure import speed and peak memory on the data set and on a file 4x larger.

Usage: .venv/bin/python bench/bench_import.py [--copies 4]

Each import runs into a fresh SQLite database in a temporary directory: once
timed without tracing, once under tracemalloc for the peak of Python
allocations. The larger file repeats every sales_pipeline.csv row with a new
opportunity_id, so a streamed import should peak at about the same memory.
"""

from __future__ import annotations

import argparse
import csv
import logging
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATASET = REPO.parent / "shared" / "data" / "crm-sales-opportunities"
CATALOGUE_FILES = ("accounts.csv", "products.csv", "sales_teams.csv")


def write_larger_dataset(folder: Path, copies: int) -> int:
    """Write the data set with every pipeline row repeated `copies` times; return rows."""
    folder.mkdir()
    for name in CATALOGUE_FILES:
        shutil.copy(DATASET / name, folder / name)
    with open(DATASET / "sales_pipeline.csv", newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with open(folder / "sales_pipeline.csv", "w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        for copy in range(copies):
            for row in rows:
                writer.writerow({**row, "opportunity_id": f"{row['opportunity_id']}-{copy}"})
    return len(rows) * copies


def import_once(folder: Path, database: Path, traced: bool) -> tuple[int, float, int]:
    """Import `folder` into a new database; return deals, seconds and peak bytes."""
    from flask_migrate import upgrade

    from server import create_app
    from server.importing import import_crm_dataset
    from server.models import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():
        upgrade()
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        report = import_crm_dataset(str(folder))
        seconds = time.perf_counter() - started
        peak = 0
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        db.engine.dispose()
    return report.created["deal"], seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4,
                        help="how many times the large file repeats the data set")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    with tempfile.TemporaryDirectory() as temp:
        temp_dir = Path(temp)
        large = temp_dir / "large"
        rows = write_larger_dataset(large, args.copies)
        results = {}
        for name, folder in (("data set", DATASET), (f"{args.copies}x file", large)):
            deals, seconds, _ = import_once(folder, temp_dir / f"{name}-timed.db", False)
            _, _, peak = import_once(folder, temp_dir / f"{name}-traced.db", True)
            results[name] = (deals, seconds, peak)
            print(f"{name}: {deals} deals in {seconds:.1f} s, {deals / seconds:,.0f} rows/s, "
                  f"peak traced memory {peak / 2**20:.1f} MiB")

        (small_deals, small_s, small_peak), (large_deals, large_s, large_peak) = (
            results.values()
        )
        assert large_deals == rows, f"imported {large_deals} of {rows} rows"
        print(f"rows/s ratio large/small: {(large_deals / large_s) / (small_deals / small_s):.2f}")
        print(f"peak memory ratio large/small: {large_peak / small_peak:.2f}")


if __name__ == "__main__":
    main()
