#!/usr/bin/env python3
"""Parse a sweep's metrics.prom with the reference OpenMetrics parser (prometheus_client's
text_string_to_metric_families, which rejects a file without `# EOF`, bad escaping, a unit that
is not the name's suffix, duplicate series…) and check it against results.csv: one sample per
trial in each family that has the value, labelled by its trial_id, config_id and model.

Usage: check-openmetrics.py OUT_DIR   (holding results.csv and metrics.prom)
"""
import csv
import math
import sys
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

FAMILIES = {
    "wattsweep_trial_energy_joules": ("joules", "energy_j"),
    "wattsweep_trial_train_seconds": ("seconds", "train_time_s"),
    "wattsweep_trial_test_accuracy_ratio": ("ratio", "test_accuracy"),
}


def main(out: Path) -> int:
    rows = {r["trial_id"]: r for r in csv.DictReader(open(out / "results.csv", newline=""))}
    families = {f.name: f for f in text_string_to_metric_families((out / "metrics.prom").read_text())}
    problems = []
    for name, (unit, column) in FAMILIES.items():
        f = families.get(name)
        if f is None:
            problems.append(f"{name}: missing")
            continue
        if f.type != "gauge" or f.unit != unit:
            problems.append(f"{name}: type {f.type}, unit {f.unit!r}")
        want = {t for t, r in rows.items() if r[column] != ""}
        got = {s.labels["trial_id"]: s for s in f.samples}
        if set(got) != want:
            problems.append(f"{name}: trials {sorted(set(got) ^ want)} differ from results.csv")
        for t, s in got.items():
            r = rows.get(t)
            if r is None:
                continue
            if s.labels.get("config_id") != r["config_id"] or s.labels.get("model") != r["model"]:
                problems.append(f"{name}{{trial_id={t}}}: labels {s.labels} do not match results.csv")
            if not math.isclose(s.value, float(r[column]), rel_tol=1e-12):
                problems.append(f"{name}{{trial_id={t}}}: {s.value} != {r[column]}")
    for p in problems:
        print("check-openmetrics:", p, file=sys.stderr)
    if not problems:
        n = sum(len(families[n].samples) for n in FAMILIES)
        print(f"check-openmetrics: {out / 'metrics.prom'} parsed: {len(FAMILIES)} families, {n} samples, {len(rows)} trials")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
