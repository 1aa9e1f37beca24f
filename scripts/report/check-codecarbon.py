#!/usr/bin/env python3
"""Check a sweep's emissions.csv against the installed CodeCarbon package: its header must be
the fields of CodeCarbon's own EmissionsData, in order (what CodeCarbon's CSV output writes),
and its rows as many as results.csv's, with energy_consumed = energy_j / 3.6e6 kWh.

Only codecarbon/output_methods/emissions_data.py is loaded (it needs nothing but the standard
library), so `pip install --no-deps codecarbon` is enough.

Usage: check-codecarbon.py OUT_DIR   (holding results.csv and emissions.csv)
"""
import csv
import dataclasses
import importlib.util
import math
import sys
from pathlib import Path


def codecarbon_fields():
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("check-codecarbon: codecarbon is not installed (pip install --no-deps codecarbon)")
    path = Path(spec.submodule_search_locations[0]) / "output_methods" / "emissions_data.py"
    mspec = importlib.util.spec_from_file_location("emissions_data", path)
    module = importlib.util.module_from_spec(mspec)
    mspec.loader.exec_module(module)
    return [f.name for f in dataclasses.fields(module.EmissionsData)]


def main(out: Path) -> int:
    want = codecarbon_fields()
    reader = csv.DictReader(open(out / "emissions.csv", newline=""))
    problems = []
    if reader.fieldnames != want:
        problems.append(f"header {reader.fieldnames} != CodeCarbon's {want}")
    rows = list(reader)
    results = list(csv.DictReader(open(out / "results.csv", newline="")))
    if len(rows) != len(results):
        problems.append(f"{len(rows)} rows, results.csv has {len(results)} trials")
    for e, r in zip(rows, results):
        if e["run_id"] != r["trial_id"]:
            problems.append(f"run_id {e['run_id']} != trial_id {r['trial_id']}")
        if r["energy_j"] and not math.isclose(float(e["energy_consumed"]) * 3.6e6, float(r["energy_j"]), rel_tol=1e-9):
            problems.append(f"{r['trial_id']}: energy_consumed {e['energy_consumed']} kWh != {r['energy_j']} J")
    for p in problems:
        print("check-codecarbon:", p, file=sys.stderr)
    if not problems:
        print(f"check-codecarbon: {out / 'emissions.csv'}: CodeCarbon's {len(want)} fields in order, {len(rows)} rows")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
