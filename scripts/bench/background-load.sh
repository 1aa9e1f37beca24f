#!/usr/bin/env bash
# Background-load detection on this machine: one small MLP trial on a quiet machine, then the same
# trial while another process keeps one core busy. Prints other_cpu_share and background_load of
# each (from results.csv). Usage: scripts/bench/background-load.sh [WATTSWEEP] [DATA_DIR]
set -euo pipefail
bin=${1:-target/release/wattsweep}
data=${2:-data/mnist}
work=$(mktemp -d)
trap 'kill "${busy:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/g.toml" <<'TOML'
name = "load"
epochs = 3
train_limit = 20000
[energy]
idle_s = 0
[grid]
model = ["mlp"]
TOML
show() {
    python3 - "$1/results.csv" "$2" <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[-1]
print(f"{sys.argv[2]:<28} other_cpu_share={float(r['other_cpu_share']):.3f} background_load={r['background_load']} train_time_s={float(r['train_time_s']):.1f}")
PY
}
"$bin" -q run "$work/g.toml" --data-dir "$data" --out "$work/quiet" --no-fetch
show "$work/quiet" "quiet machine"
( while :; do :; done ) &
busy=$!
"$bin" -q run "$work/g.toml" --data-dir "$data" --out "$work/busy" --no-fetch || true
kill "$busy"
show "$work/busy" "one core kept busy"
grep -h "^Background load" "$work/busy/summary.md" || echo "(summary.md has no background-load flag)"
