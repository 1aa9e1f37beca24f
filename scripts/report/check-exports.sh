#!/usr/bin/env bash
# Export a sweep for CodeCarbon and Prometheus and read both files back with the real tools:
# emissions.csv against the fields of CodeCarbon's own EmissionsData (check-codecarbon.py), and
# metrics.prom through prometheus_client's OpenMetrics parser (check-openmetrics.py).
#
# Usage: scripts/report/check-exports.sh OUT_DIR
#        (WATTSWEEP=path/to/wattsweep, default target/release/wattsweep)
#
# Runs as root on a bare Debian 12: installs python3-venv when missing; the Python packages go
# into a temporary virtual environment that is removed on exit. Writes OUT_DIR/emissions.csv and
# OUT_DIR/metrics.prom (what `wattsweep export` writes there anyway).
set -euo pipefail

if [[ $# -ne 1 || ! -f "$1/results.csv" ]]; then
    echo "usage: $0 OUT_DIR   (a directory holding results.csv)" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bin=${WATTSWEEP:-$here/../../target/release/wattsweep}
# Versions checked against; CodeCarbon's fields are unchanged from 3.2.8 to 3.3.2.
prometheus_client=0.26.0
codecarbon=3.3.2

if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "check-exports: missing python3-venv; install it (as root: apt-get install python3-venv)" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q "prometheus_client==$prometheus_client"
"$venv/bin/pip" install -q --no-deps "codecarbon==$codecarbon"

"$bin" export "$out" --format codecarbon
"$bin" export "$out" --format openmetrics
"$venv/bin/python" "$here/check-codecarbon.py" "$out"
"$venv/bin/python" "$here/check-openmetrics.py" "$out"
