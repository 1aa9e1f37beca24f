#!/usr/bin/env bash
# Creates examples/pytorch/.venv with torch 2.9.0, numpy and snnTorch, for train.py (the command
# backend's PyTorch example). Idempotent: an existing venv is kept and pip skips what is installed.
# Prints the venv's python path last.
#
#   bash examples/pytorch/setup.sh            # PYTHON=python3.12 to pick another interpreter
#
# torch comes from the default index (PyPI). On Linux x86_64 that wheel is the CUDA build and pulls
# the nvidia-* libraries (about 7 GB installed); train.py runs it on the CPU all the same. pip's own
# PIP_INDEX_URL / PIP_EXTRA_INDEX_URL can point it at PyTorch's CPU-only wheel index instead.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==2.9.0" numpy "snntorch==1.0.0"
"$venv/bin/python" - <<'PY' >&2
import numpy, snntorch, torch
print(f"torch {torch.__version__}, numpy {numpy.__version__}, snntorch {snntorch.__version__}")
PY
echo "$venv/bin/python"
