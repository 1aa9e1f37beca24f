#!/usr/bin/env bash
# Does the energy sampler slow training? Runs the same MLP trial with the sampler at 0.01 Hz
# (effectively off: one sample per 100 s), 10 Hz and 100 Hz, alternating, REPEATS times, and prints
# the median training time of each and the overhead against 0.01 Hz. Run it on a quiet machine.
#
#   scripts/bench/sampler-overhead.sh DATA_DIR [REPEATS] [TRAIN_LIMIT]
set -euo pipefail
data=${1:?usage: $0 DATA_DIR [REPEATS] [TRAIN_LIMIT]}
repeats=${2:-5}
limit=${3:-30000}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/target/release/wattsweep
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq "$repeats"); do
    for hz in 0.01 10 100; do
        cat > "$work/g.toml" <<TOML
name = "overhead"
epochs = 1
train_limit = $limit
seed = $r
[energy]
idle_s = 0
sample_hz = $hz
[grid]
model = ["mlp"]
TOML
        "$bin" -q run "$work/g.toml" --data-dir "$data" --out "$work/out-$hz-$r" --no-fetch
        python3 -c "import csv,sys; print('$hz', next(csv.DictReader(open(sys.argv[1])))['train_time_s'])" \
            "$work/out-$hz-$r/results.csv" >> "$work/times"
    done
done
python3 - "$work/times" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    hz, t = line.split()
    times.setdefault(hz, []).append(float(t))
base = statistics.median(times["0.01"])
for hz, ts in times.items():
    m = statistics.median(ts)
    print(f"sample_hz {hz:>5}: median train_time_s {m:.3f} over {len(ts)} runs, overhead {100 * (m / base - 1):+.2f} %")
PY
