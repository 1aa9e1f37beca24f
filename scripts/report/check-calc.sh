#!/usr/bin/env bash
# Open a sweep's results.csv, epochs.csv and summary.csv the way a spreadsheet user would — LibreOffice Calc,
# comma-separated, UTF-8, en-US locale ('.' decimals) — and fail if any numeric column arrives
# as text, if a missing value arrives as anything but an empty cell, or if Calc sees a different
# number of rows or columns than an RFC 4180 parser does.
#
# Usage: scripts/report/check-calc.sh OUT_DIR
#
# Runs as root on a bare Debian 12: installs libreoffice-calc-nogui and python3 when missing
# (idempotent: an installed Calc is reused). OUT_DIR is only read; the conversion happens in a
# temporary directory that is removed on exit.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
    echo "usage: $0 OUT_DIR   (a directory holding results.csv and epochs.csv)" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

apt_install() {
    # Only root can install; say what is missing instead of failing obscurely.
    if [[ $(id -u) -ne 0 ]]; then
        echo "check-calc: missing $*; install it (as root: apt-get install $*)" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v soffice >/dev/null 2>&1; then
    echo "check-calc: installing LibreOffice Calc (headless) from Debian…" >&2
    apt_install libreoffice-calc-nogui
fi
# The system python (not a pyenv shim) is the one a bare Debian gets from apt.
if [[ ! -x /usr/bin/python3 ]]; then
    apt_install python3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/xlsx"

# CSV import options, by position: comma (44), '"' (34), UTF-8 (76), from line 1, default column
# types, en-US (1033, so '.' is the decimal separator), quoted fields not forced to text,
# "detect special numbers" on (so 1e-5 is a number, as in Excel and Calc's own default).
filter='CSV:44,34,76,1,,1033,false,true'

status=0
checked=0
for name in results.csv epochs.csv summary.csv; do
    src="$out/$name"
    if [[ ! -f "$src" ]]; then
        if [[ $name == results.csv ]]; then
            echo "check-calc: FAIL $src does not exist" >&2
            status=1
        else
            echo "check-calc: note: $src does not exist (no epoch finished?); skipped" >&2
        fi
        continue
    fi
    # Work on a copy: soffice may leave lock files beside its input.
    cp "$src" "$work/in/$name"
    # A private profile: no clash with a running LibreOffice, and nothing left in $HOME.
    if ! soffice -env:UserInstallation="file://$work/profile" --headless --norestore \
        --infilter="$filter" --convert-to xlsx --outdir "$work/xlsx" "$work/in/$name" \
        >"$work/soffice.log" 2>&1; then
        cat "$work/soffice.log" >&2
        echo "check-calc: FAIL soffice could not convert $name" >&2
        status=1
        continue
    fi
    xlsx="$work/xlsx/${name%.csv}.xlsx"
    if [[ ! -s "$xlsx" ]]; then
        cat "$work/soffice.log" >&2
        echo "check-calc: FAIL soffice wrote no $xlsx" >&2
        status=1
        continue
    fi
    if /usr/bin/python3 "$here/xlsx_cells.py" "$src" "$xlsx"; then
        checked=$((checked + 1))
    else
        status=1
    fi
done

if [[ $status -eq 0 ]]; then
    echo "check-calc: OK ($checked file(s): every numeric column arrived in Calc as numbers)"
fi
exit $status
