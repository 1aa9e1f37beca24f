#!/usr/bin/env python3
"""Helpers for check-html.sh (standard library only; a bare Debian has nothing else).

  html_check.py static INDEX.html
      Fail on references that would fetch something: <script src>, <link href> to a
      stylesheet, http(s) src/href, CSS url()/@import of a non-data URL.
  html_check.py inject INDEX.html PROBE.js OUT.html
      Copy INDEX.html with the probe as the first script of <head>. Only the CSP's
      script-src is relaxed (to let the probe run); every other directive stays, so a fetch
      the report would make is still blocked and reported.
  html_check.py plots-page PLOTS_DIR PROBE.js OUT.html
      A page showing every plots/*.svg as an <img>, to check each file decodes on its own.
  html_check.py verdict DOM.html CHROME.log [PLOTS_DIR]
      Read the probe's JSON from `chromium --dump-dom` output; fail on its problems, on
      console messages in Chromium's log, and (with PLOTS_DIR) on figures whose
      plots/<name>.svg is missing or files no figure shows.
"""
import html
import json
import os
import re
import sys

PROBE_ID = "wattsweep-probe"


def fail(lines):
    for line in lines:
        print(f"check-html: FAIL {line}", file=sys.stderr)
    return 1 if lines else 0


def static(index):
    text = open(index, encoding="utf-8").read()
    problems = []
    for m in re.finditer(r"<script\b[^>]*\bsrc\s*=", text, re.I):
        problems.append(f"external script: {text[m.start():m.start() + 120]!r}")
    for m in re.finditer(r"<link\b[^>]*>", text, re.I):
        problems.append(f"<link> element (stylesheet/font/icon fetch): {m.group(0)[:120]!r}")
    for m in re.finditer(r"\b(src|href)\s*=\s*[\"']?\s*(https?:|//)", text, re.I):
        problems.append(f"network reference: {text[m.start():m.start() + 120]!r}")
    for m in re.finditer(r"(url\(\s*[\"']?(?!data:|#)|@import)", text, re.I):
        problems.append(f"CSS fetch: {text[m.start():m.start() + 120]!r}")
    if "Content-Security-Policy" not in text:
        print("check-html: warning: index.html has no Content-Security-Policy", file=sys.stderr)
    return fail(problems)


def inject(index, probe, out):
    text = open(index, encoding="utf-8").read()
    script = "<script>\n" + open(probe, encoding="utf-8").read() + "\n</script>\n"
    # Let only our inline probe run; every other directive (default-src 'none', …) is kept.
    text, n = re.subn(r"script-src\s+'none'", "script-src 'unsafe-inline'", text)
    m = re.search(r"<head[^>]*>", text, re.I)
    if not m:
        print("check-html: FAIL index.html has no <head>", file=sys.stderr)
        return 1
    text = text[:m.end()] + "\n" + script + text[m.end():]
    open(out, "w", encoding="utf-8").write(text)
    return 0


def plots_page(plots_dir, probe, out):
    names = sorted(f for f in os.listdir(plots_dir) if f.endswith(".svg")) if os.path.isdir(plots_dir) else []
    figs = "\n".join(
        f'<figure class="plot" id="file-{html.escape(n)}" data-file="plots/{html.escape(n)}">'
        f'<img src="plots/{html.escape(n)}" alt="{html.escape(n)}"></figure>' for n in names)
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>\n"
            + open(probe, encoding="utf-8").read()
            + "\n</script></head><body>\n" + figs + "\n</body></html>\n")
    open(out, "w", encoding="utf-8").write(page)
    return 0


def verdict(dom, log, plots_dir=None):
    text = open(dom, encoding="utf-8", errors="replace").read()
    # The last match: the probe's own source (in a <script>) mentions the element too.
    matches = list(re.finditer(rf'<pre id="{PROBE_ID}">([^<]*)</pre>', text))
    m = matches[-1] if matches else None
    if not m:
        return fail([f"the probe never reported (page did not finish loading?); DOM has {len(text)} bytes"])
    result = json.loads(html.unescape(m.group(1)))
    problems = list(result["problems"])
    # Chromium logs console messages as "...:CONSOLE(line)] "message", source: …" (or
    # "CONSOLE:" in newer builds). The probe is silent and the report has no script, so any
    # such line is the page complaining — a CSP refusal, a parse error.
    for line in open(log, encoding="utf-8", errors="replace"):
        if re.search(r"CONSOLE[(:]", line):
            problems.append(f"console message: {line.strip()[:300]}")
    if plots_dir is not None:
        shown = {f for f in result["figures"] if f}
        files = {f"plots/{f}" for f in os.listdir(plots_dir) if f.endswith(".svg")} if os.path.isdir(plots_dir) else set()
        for f in sorted(shown - files):
            problems.append(f"missing image: a figure shows {f}, which does not exist")
        for f in sorted(files - shown):
            problems.append(f"{f} exists but index.html does not show it")
    status = fail(problems)
    if status == 0:
        print(f"check-html: {os.path.basename(dom)}: {len(result['figures'])} figures, "
              f"{result['svgs']} inline SVGs, {result['images']} <img>, no errors")
    return status


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "static" and len(args) == 1:
        return static(*args)
    if cmd == "inject" and len(args) == 3:
        return inject(*args)
    if cmd == "plots-page" and len(args) == 3:
        return plots_page(*args)
    if cmd == "verdict" and len(args) in (2, 3):
        return verdict(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
