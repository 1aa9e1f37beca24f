#!/usr/bin/env bash
# Set up libtorch 2.9.0 for wattsweep's `tch` feature (grid `backend = "tch"` / `"tch-cuda"`).
#
# Creates a Python venv (default: .venv-torch in the repository) with pip's torch==2.9.0 — the
# CUDA build, about 7 GB with its nvidia packages, which also runs on CPU — and prints the
# environment to export before building and running:
#
#   eval "$(scripts/setup-libtorch.sh)"
#   cargo build --release --features tch
#
# Idempotent: an existing venv with the right torch is reused. VENV=/path overrides the location.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv-torch}"
TORCH_VERSION=2.9.0

if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    echo "setup-libtorch: installing torch==$TORCH_VERSION into $VENV (large download)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip >&2
    "$VENV/bin/pip" install --quiet "torch==$TORCH_VERSION" numpy >&2
fi
TORCH_LIB="$("$VENV/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
cat <<ENV
export LIBTORCH_USE_PYTORCH=1
export PATH="$VENV/bin:\$PATH"
export LD_LIBRARY_PATH="$TORCH_LIB\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
ENV
