#!/usr/bin/env python3
"""Compare a CSV with the .xlsx LibreOffice Calc made of it; used by check-calc.sh.

Fails (exit 1, one line per problem naming file, column and row) when a cell of a numeric
column is stored as text (t="s", "str", "inlineStr", "b" or "e" in the sheet XML), when a cell
that is empty in the CSV is not empty in the sheet (or the reverse), when a CSV cell spells a
non-number ("NaN", "inf"), or when Calc's row/column count differs from Python's csv module
(a quoting problem). Numeric columns are recognised from the header names, whose units say it.
Standard library only: a bare Debian has nothing else.
"""
import csv
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
NUMERIC_SUFFIXES = (
    "_s", "_j", "_w", "_g", "_mb", "_rate", "_images", "_loss", "_count", "_share",
    "_mean", "_sd", "_ci95", "_min", "_max", "_per_image", "_ms",
)
NUMERIC_NAMES = {
    "params", "batch_size", "epochs", "epoch", "seed", "samples", "learning_rate",
    "momentum", "weight_decay", "images_per_s", "joules_per_accuracy_point",
    "repeat", "n", "trials", "counter_wraps", "read_failures", "threads",
    "epochs_trained",
}
TEXT_TYPES = {"s", "str", "inlineStr", "b", "e"}
MAX_REPORTED = 25


def is_numeric(name: str) -> bool:
    return name in NUMERIC_NAMES or name.endswith(NUMERIC_SUFFIXES) or "accuracy" in name


def col_index(ref: str) -> int:
    """'AB12' -> 27 (0-based column)."""
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def col_letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def read_sheet(xlsx_path):
    """{row number: {column index: (type, value text)}} of the first sheet."""
    with zipfile.ZipFile(xlsx_path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = {}
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        cells = {}
        for c in row.findall("m:c", NS):
            t = c.get("t", "n")
            v = c.find("m:v", NS)
            text = v.text if v is not None else None
            if t == "inlineStr":
                text = "".join(x.text or "" for x in c.iter(f"{{{NS['m']}}}t"))
            elif t == "s" and text is not None:
                text = shared[int(text)]
            if text is None or text == "":
                continue  # a styled but empty cell
            cells[col_index(c.get("r"))] = (t, text)
        if cells:
            rows[int(row.get("r"))] = cells
    return rows


def main(csv_path, xlsx_path):
    with open(csv_path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    if not table:
        print(f"check-calc: FAIL {csv_path}: empty file", file=sys.stderr)
        return 1
    header, data = table[0], table[1:]
    name = csv_path.rsplit("/", 1)[-1]
    sheet = read_sheet(xlsx_path)
    problems, warnings = [], []

    last_row = max(sheet) if sheet else 0
    if last_row != len(table):
        problems.append(f"{name}: Calc sees {last_row} rows, the CSV has {len(table)}")
    widths = {len(r) for r in table}
    if widths != {len(header)}:
        problems.append(f"{name}: rows have {sorted(widths)} cells, the header {len(header)}")
    calc_header = [sheet.get(1, {}).get(i, ("", ""))[1] for i in range(len(header))]
    if calc_header != header:
        problems.append(f"{name}: Calc reads the header as {calc_header}")

    numeric = [i for i, h in enumerate(header) if is_numeric(h)]
    for r, row in enumerate(data, start=2):
        cells = sheet.get(r, {})
        key = f"{header[0]}={row[0]}" if row else ""
        for i, text in enumerate(row):
            where = f"{name}: column {header[i]} ({col_letters(i)}), row {r} ({key})"
            got = cells.get(i)
            if text.strip().lower() in ("nan", "inf", "-inf", "+inf", "infinity", "null", "none"):
                problems.append(f"{where}: '{text}' is not a number; a missing value must be an empty cell")
            elif text == "" and got is not None:
                problems.append(f"{where}: empty in the CSV but Calc holds {got[1]!r}")
            elif text != "" and got is None:
                problems.append(f"{where}: '{text}' in the CSV but empty in Calc")
            elif i in numeric and got is not None and got[0] in TEXT_TYPES:
                problems.append(f"{where}: '{text}' arrived as text (cell type {got[0]}), not a number")
            elif header[i].endswith("_id") and got is not None and got[0] == "n":
                warnings.append(f"{where}: id '{text}' became a number in Calc (leading zeros or digits may be lost)")

    for w in warnings[:MAX_REPORTED]:
        print(f"check-calc: warning {w}", file=sys.stderr)
    for p in problems[:MAX_REPORTED]:
        print(f"check-calc: FAIL {p}", file=sys.stderr)
    if len(problems) > MAX_REPORTED:
        print(f"check-calc: … and {len(problems) - MAX_REPORTED} more", file=sys.stderr)
    if problems:
        return 1
    print(f"check-calc: {name}: {len(data)} rows, {len(numeric)} numeric columns "
          f"({', '.join(header[i] for i in numeric)}) all numbers in Calc")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: xlsx_cells.py FILE.csv FILE.xlsx", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
