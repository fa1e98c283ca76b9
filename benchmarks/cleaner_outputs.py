"""Every field of `cleaner.clean`'s result on every page of the three datasets, written or compared.

    python -m benchmarks.cleaner_outputs --write BEFORE.json [--datasets DIR] [--only aeb,eval,fundus]
    python -m benchmarks.cleaner_outputs --against BEFORE.json [--datasets DIR]

A change meant to make the cleaner faster must not change what it makes of any page: write the
outputs before, compare after. `--against` prints each page whose result differs, field by field,
and exits 1 when any does. DIR defaults to $WIREDESK_DATASETS, else ../shared/datasets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import cleaner
from benchmarks.extraction import DATASETS, select
from benchmarks.extraction_sets import dataset_parser


def outputs(directory: Path, keys: list[str]) -> dict[str, dict[str, Any]]:
    """`clean(page, url).to_dict()` of every page, keyed "set/page name"."""
    found: dict[str, dict[str, Any]] = {}
    for key in keys:
        for page in select(DATASETS[key], directory, None):
            found[f"{key}/{page.name}"] = cleaner.clean(page.html, page.url).to_dict()
    return found


def differences(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The fields that differ, per page (a page missing on either side counts as all of it)."""
    changed: dict[str, list[str]] = {}
    for name in sorted(before.keys() | after.keys()):
        then, now = before.get(name), after.get(name)
        if then is None or now is None:
            changed[name] = ["(the whole page)"]
            continue
        fields = [field for field in sorted(then.keys() | now.keys()) if then.get(field) != now.get(field)]
        if fields:
            changed[name] = fields
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = dataset_parser(__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write every page's result here (JSON)")
    action.add_argument("--against", type=Path, help="an earlier --write file: list the pages that differ")
    args = parser.parse_args(argv)
    found = outputs(args.datasets, args.only.split(","))
    if args.write:
        args.write.write_text(json.dumps(found, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(found)} pages written to {args.write}")
        return 0
    before = json.loads(args.against.read_text(encoding="utf-8"))
    changed = differences(before, json.loads(json.dumps(found)))
    for name, fields in changed.items():
        print(f"  {name}: {', '.join(fields)}")
    print(f"{len(found)} pages cleaned, {len(changed)} differ from {args.against}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
