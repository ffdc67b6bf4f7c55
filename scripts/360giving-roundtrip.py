#!/usr/bin/env python3
"""Checks that the 360Giving CSV export turns back into the JSON export's grants.

    360giving-roundtrip.py EXPORT.json EXPORT.csv GRANT-SCHEMA.json

Runs Open Data Services' flatten-tool (`flatten-tool unflatten --convert-titles`) on the CSV,
with the standard's grant schema to read its column titles, and compares every grant it gives
with the same grant of the JSON package, field by field. Amounts are compared as exact decimals.
Prints each difference and exits 1 when there is any.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal


def normalise(value):
    """Numbers as exact decimals; everything else as it is, recursively."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if v not in (None, "", [])}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def differences(path, expected, got):
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            yield from differences(f"{path}.{key}", expected.get(key), got.get(key))
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            yield f"{path}: {len(expected)} items in the JSON, {len(got)} from the CSV"
        for i, (e, g) in enumerate(zip(expected, got)):
            yield from differences(f"{path}[{i}]", e, g)
    elif expected != got:
        yield f"{path}: JSON {expected!r}, CSV {got!r}"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    package_path, csv_path, schema_path = sys.argv[1:]
    with open(package_path, encoding="utf-8") as f:
        package = json.load(f)
    work = tempfile.mkdtemp()
    try:
        sheets = os.path.join(work, "sheets")
        os.mkdir(sheets)
        shutil.copy(csv_path, os.path.join(sheets, "grants.csv"))
        out = os.path.join(work, "unflattened.json")
        subprocess.run(
            [
                "flatten-tool", "unflatten", "-f", "csv", "--convert-titles",
                "--schema", schema_path, "--root-list-path", "grants",
                "--output-name", out, sheets,
            ],
            check=True,
        )
        with open(out, encoding="utf-8") as f:
            unflattened = json.load(f)
    finally:
        shutil.rmtree(work)
    expected = {g["id"]: normalise(g) for g in package["grants"]}
    got = {g["id"]: normalise(g) for g in unflattened.get("grants", [])}
    problems = []
    for grant_id in sorted(set(expected) | set(got)):
        if grant_id not in got:
            problems.append(f"{grant_id}: in the JSON, not in the CSV")
        elif grant_id not in expected:
            problems.append(f"{grant_id}: in the CSV, not in the JSON")
        else:
            problems.extend(differences(grant_id, expected[grant_id], got[grant_id]))
    for problem in problems:
        print(problem)
    print(f"{len(expected)} grants in the JSON, {len(got)} from the CSV, {len(problems)} differences")
    sys.exit(1 if problems or not expected else 0)


if __name__ == "__main__":
    main()
