#!/usr/bin/env bash
# Render a sweep's index.html in headless Chromium, as a reader would see it, and fail on a
# console error, an uncaught error, a fetch the self-contained page should not make, a broken
# or missing image (an <img> that does not decode, an inline plot SVG that draws nothing, a
# figure whose plots/<name>.svg is missing or does not decode on its own). Saves a screenshot.
#
# Usage: scripts/report/check-html.sh OUT_DIR [SCREENSHOT.png]
#        (default screenshot: ${TMPDIR:-/tmp}/wattsweep-check-html-<dir name>.png)
#
# Runs as root on a bare Debian 12: installs chromium, a font and python3 when missing
# (idempotent). OUT_DIR is only read: the probe runs in a copy of the page in a temp directory.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! -d "$1" ]]; then
    echo "usage: $0 OUT_DIR [SCREENSHOT.png]   (a directory holding index.html)" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
shot=${2:-${TMPDIR:-/tmp}/wattsweep-check-html-$(basename "$out").png}
here=$(cd "$(dirname "$0")" && pwd)

apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "check-html: missing $*; install it (as root: apt-get install $*)" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
    echo "check-html: installing chromium from Debian…" >&2
    apt_install chromium
    browser=$(command -v chromium)
fi
# Without any font, text renders as empty boxes in the screenshot.
if [[ ! -d /usr/share/fonts/truetype/dejavu ]]; then
    apt_install fonts-dejavu-core
fi
if [[ ! -x /usr/bin/python3 ]]; then
    apt_install python3
fi
py=/usr/bin/python3

if [[ ! -f $out/index.html ]]; then
    echo "check-html: FAIL $out/index.html does not exist" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/site"
cp "$out/index.html" "$work/site/index.html"
if [[ -d $out/plots ]]; then cp -r "$out/plots" "$work/site/plots"; fi

# The flags the brief asks for: no sandbox (root), no GPU, nothing phoning home; a fresh
# profile per run so nothing cached from an earlier run can hide a broken file.
run_browser() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 \
        --hide-scrollbars --force-device-scale-factor=1 "$@"
}

status=0
$py "$here/html_check.py" static "$work/site/index.html" || status=1

# 1. The report page itself, with the probe injected.
$py "$here/html_check.py" inject "$work/site/index.html" "$here/html-probe.js" "$work/site/probe.html"
run_browser --virtual-time-budget=10000 --dump-dom "file://$work/site/probe.html" \
    >"$work/dom.html" 2>"$work/chrome.log" || true
$py "$here/html_check.py" verdict "$work/dom.html" "$work/chrome.log" "$work/site/plots" || status=1

# 2. Every plots/*.svg on its own, as an <img>: a file that does not decode fails here.
$py "$here/html_check.py" plots-page "$work/site/plots" "$here/html-probe.js" "$work/site/plots-probe.html"
run_browser --virtual-time-budget=10000 --dump-dom "file://$work/site/plots-probe.html" \
    >"$work/plots-dom.html" 2>"$work/plots-chrome.log" || true
$py "$here/html_check.py" verdict "$work/plots-dom.html" "$work/plots-chrome.log" || status=1

# 3. A screenshot of the unmodified page, for a person to look at.
rm -f "$shot"
run_browser --window-size=1400,3000 --screenshot="$shot" "file://$out/index.html" \
    >/dev/null 2>"$work/shot.log" || true
if [[ -s $shot ]]; then
    echo "check-html: screenshot: $shot"
else
    cat "$work/shot.log" >&2
    echo "check-html: FAIL no screenshot was written" >&2
    status=1
fi

if [[ $status -eq 0 ]]; then
    echo "check-html: OK ($out/index.html renders without errors; every image is present and decodes)"
fi
exit $status
