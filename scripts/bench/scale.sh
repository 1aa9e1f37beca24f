#!/usr/bin/env bash
# What a sweep's bookkeeping costs as it grows: tiny MLP trials (64 training images, 64 test
# images, no inference phase, one thread) at several sweep sizes. For each size: seconds per
# trial over the whole run, the run's peak memory, index.html's size, and the time of
# `wattsweep report` on the finished folder. The training itself is a few milliseconds, so
# what grows is the sweep's own work.
#
#   scripts/bench/scale.sh [SIZES...]        default: 100 1000 10000
#
# Needs a release build (cargo build --release) and MNIST in data/mnist (wattsweep fetch mnist).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${WATTSWEEP:-target/release/wattsweep}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
work=$(mktemp -d /tmp/wattsweep-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%8s %10s %12s %10s %12s %12s\n' trials total_s s_per_trial peak_MiB index_html report_s
for n in "${sizes[@]}"; do
  grid="$work/scale-$n.toml"
  {
    echo "name = \"scale-$n\""
    echo 'model = "mlp"'
    echo 'train_limit = 64'
    echo 'test_limit = 64'
    echo 'threads = 1'
    echo 'inference = false'
    echo '[energy]'
    echo 'idle_s = 0'
    echo '[grid]'
    printf 'seed = ['
    seq -s, 0 $((n - 1)) | tr -d '\n'
    echo ']'
  } > "$grid"
  out="$work/out-$n"
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/mem-$n" "$bin" run -q "$grid" --out "$out" --no-fetch > "$work/log-$n" 2>&1
  end=$(date +%s.%N)
  rows=$(($(wc -l < "$out/results.csv") - 1))
  [ "$rows" -eq "$n" ] || { echo "scale-$n: $rows rows, expected $n" >&2; exit 1; }
  rstart=$(date +%s.%N)
  "$bin" report "$out" -q > /dev/null
  rend=$(date +%s.%N)
  html=$(stat -c %s "$out/index.html")
  awk -v n="$n" -v s="$start" -v e="$end" -v m="$(cat "$work/mem-$n")" -v h="$html" -v rs="$rstart" -v re="$rend" \
    'BEGIN { printf "%8d %10.1f %12.4f %10.1f %12d %12.2f\n", n, e - s, (e - s) / n, m / 1024, h, re - rs }'
done
