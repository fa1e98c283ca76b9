"""What each removal rule of the cleaner is worth, set by set and half by half.

    python -m benchmarks.rule_audit [--datasets DIR] [--only aeb,eval,fundus] [--sample N]
                                    [--rules a,b] [--workers 2] [--json OUT] [--markdown]

Every page is cleaned once as the cleaner stands; then, rule by rule, the pages the rule fired on
are cleaned again with that rule alone switched off (`CleanOptions.disabled_rules`) and scored as
benchmarks/extraction.py scores them. A rule that did not fire on a page cannot change it, so the
rest of the set keeps its first score. A rule is named by the reason it records in `removed`
(`link-card`, `block:share`, `promo`), or by a family (`block`, every class-name token at once),
or by one of the names of rules that record another's reason: `closing-promo` (the closing line's
appeal, recorded as `promo`), `contributor-tail` (recorded as `contributor`), `caption-markup`
(figure and caption-named blocks, recorded in `captions` only: tried on pages with a caption) and
`noise-tag` (small `aside`, `nav`, `footer`, `form`, `button` blocks, recorded nowhere: tried on
every page).

The table gives, per set, the pages a rule fired on and the change of the set's figures when it
is switched off, on the whole set and on each half of the sites (dev / holdout, as
`benchmarks.extraction --split`): a negative change means the rule earns its place (AEB and
fundus-dev F1, trafilatura-eval keep and drop), a positive one that the set does better without
it; trafilatura-eval's leaking pages the other way round. "helps / hurts" count the pages whose
figures the rule raises or lowers (any amount), and "sites" the distinct sites it helps: a rule
whose gain is one or two sites' is fitted to them.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cleaner
from benchmarks.extraction import DATASETS, scored_output
from benchmarks.extraction_sets import Page, dataset_parser, in_split, select

# Rules recorded under another rule's reason, or not recorded: the reasons that show where they
# may fire ("" for every page; "captions" for pages with a caption).
_HIDDEN_RULES = {
    "closing-promo": "promo",
    "contributor-tail": "contributor",
    "caption-markup": "captions",
    "noise-tag": "",
}
# Reasons that are no rule: cuts of pages past the limits, and the standfirst noted as printed.
_NOT_RULES = frozenset(
    (
        "body too large",
        "too many elements",
        "too many attributes on one tag",
        "too many attributes",
        "too many children in one element",
        "too many headings",
        "too much text",
    )
)
_FIGURES = {"aeb": ("F1",), "eval": ("keep", "drop", "leaks"), "fundus": ("F1",)}
_PAGE_FIGURES = {"aeb": ("f1",), "eval": ("keep", "drop"), "fundus": ("f1",)}
_HALVES = ("dev", "holdout")
# The least change the table prints (0.05 ×1000), and so the least that makes a rule a candidate.
_SHOWN = 5e-5
_SETS: dict[str, list[Page]] = {}


@dataclass
class Baseline:
    """Every page's scores as the cleaner stands, and the rules each page's cleaning fired."""

    rows: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    fired: dict[str, list[frozenset[str]]] = field(default_factory=dict)


Task = tuple[str, int, "str | None"]
Scores = dict[str, float]


def _clean(task: Task) -> tuple[str, int, str | None, Scores, frozenset[str]]:
    """One page cleaned (with one rule off, if named) and scored; the reasons its cleaning fired."""
    key, index, rule = task
    page = _SETS[key][index]
    options = cleaner.CleanOptions(disabled_rules=frozenset((rule,)) if rule else frozenset())
    article = cleaner.clean(page.html, page.url, options)
    fired = {block.reason for block in article.removed}
    fired |= {reason.partition(":")[0] for reason in fired if ":" in reason}
    if article.captions:
        fired.add("captions")
    return key, index, rule, DATASETS[key].score(scored_output(article), page), frozenset(fired)


def _run(pool: Any, tasks: list[Task]) -> Iterator[tuple[Any, ...]]:
    """The tasks' results, in any order, from the pool's processes (forked with the pages loaded)."""
    for done, result in enumerate(pool.imap_unordered(_clean, tasks, chunksize=4), 1):
        if done % 100 == 0 or done == len(tasks):
            print(f"  {done}/{len(tasks)} cleanings", end="\r", file=sys.stderr, flush=True)
        yield result
    print(file=sys.stderr)


def baseline(pool: Any, saved: Path | None) -> Baseline:
    """Every page cleaned as the cleaner stands; read from `saved` when it exists (a run of the
    same code: an interrupted audit starts again at its rules), else written there."""
    if saved and saved.exists():
        data = json.loads(saved.read_text(encoding="utf-8"))
        fired = {key: [frozenset(reasons) for reasons in sets] for key, sets in data["fired"].items()}
        return Baseline(data["rows"], fired)
    found = Baseline()
    for key, pages in _SETS.items():
        found.rows[key] = [{} for _ in pages]
        found.fired[key] = [frozenset() for _ in pages]
    tasks = [(key, index, None) for key, pages in _SETS.items() for index in range(len(pages))]
    for key, index, _, row, fired in _run(pool, tasks):
        found.rows[key][index] = row
        found.fired[key][index] = fired
    if saved:
        fired_lists = {key: [sorted(reasons) for reasons in sets] for key, sets in found.fired.items()}
        saved.write_text(json.dumps({"rows": found.rows, "fired": fired_lists}), encoding="utf-8")
    return found


def rules_fired(base: Baseline) -> list[str]:
    """Every rule that fired on some page, families and hidden rules included, sorted."""
    names = set().union(*(fired for sets in base.fired.values() for fired in sets))
    names -= _NOT_RULES | {"captions"}
    return sorted(names | set(_HIDDEN_RULES))


def _trigger(rule: str) -> str:
    return _HIDDEN_RULES.get(rule, rule)


def tasks_of(base: Baseline, rule: str) -> list[Task]:
    """The pages the rule fired on, to be cleaned again with it off."""
    trigger = _HIDDEN_RULES.get(rule, rule)
    return [
        (key, index, rule)
        for key, fired in base.fired.items()
        for index, reasons in enumerate(fired)
        if not trigger or trigger in reasons
    ]


def audit(pool: Any, base: Baseline, rule: str) -> dict[str, dict[str, Any]]:
    """One rule's effects on each set: its pages cleaned again with it switched off."""
    changed: dict[str, dict[int, Scores]] = defaultdict(dict)
    for key, index, _, row, _ in _run(pool, tasks_of(base, rule)):
        changed[key][index] = row
    return {key: effects(base, key, changed[key]) for key in _SETS}


def _summary(key: str, rows: list[dict[str, float]], pages: list[Page], half: str | None) -> dict[str, float]:
    chosen = [number for number, page in enumerate(pages) if in_split(page.site, half)]
    return DATASETS[key].summary([rows[number] for number in chosen], [pages[number] for number in chosen])


def effects(base: Baseline, key: str, off: dict[int, dict[str, float]]) -> dict[str, Any]:
    """One rule on one set: pages fired, the figures' change with the rule off (whole set and
    halves), pages it helps and hurts, and the sites it helps."""
    pages, rows = _SETS[key], base.rows[key]
    changed = list(rows)
    for index, row in off.items():
        changed[index] = row
    result: dict[str, Any] = {"fired": len(off)}
    for half in (None, *_HALVES):
        before, after = _summary(key, rows, pages, half), _summary(key, changed, pages, half)
        for figure in _FIGURES[key]:
            result[f"{figure} {half or 'all'}"] = after[figure] - before[figure]
    helps = [index for index, row in off.items() if _better(key, rows[index], row)]
    hurts = [index for index, row in off.items() if _better(key, row, rows[index])]
    result["helps"], result["hurts"] = len(helps), len(hurts)
    result["sites"] = len({pages[index].site for index in helps})
    result["helped"] = sorted(pages[index].name for index in helps)
    result["hurt"] = sorted(pages[index].name for index in hurts)
    return result


def _better(key: str, on: dict[str, float], off: dict[str, float]) -> bool:
    """The page scores higher with the rule on, on some watched figure, and lower on none."""
    gains = [on[figure] - off[figure] for figure in _PAGE_FIGURES[key]]
    return any(gain > 1e-9 for gain in gains) and all(gain > -1e-9 for gain in gains)


def candidate(found: dict[str, dict[str, Any]]) -> str:
    """Why a rule is a candidate for tightening: a set or half that does better without it, or a
    gain that rests on one or two sites. "" when neither."""
    why = []
    for key, result in found.items():
        for name, change in result.items():
            if name.split(" ")[-1] not in ("all", *_HALVES):
                continue
            loses = change < 0 if name.startswith("leaks") else change >= _SHOWN
            if loses:
                why.append(f"{key} {name}")
    helped = sum(result["helps"] for result in found.values())
    sites = sum(result["sites"] for result in found.values())
    if helped and sites <= 2:
        why.append(f"gain from {sites} site(s)")
    return "; ".join(why)


def table(found: dict[str, dict[str, dict[str, Any]]], markdown: bool) -> str:
    """The audit as a table: per rule and set, pages fired and the changes with the rule off."""
    keys = [key for key in ("aeb", "eval", "fundus") if key in _SETS]
    head = ["rule"]
    for key in keys:
        changes = [f"{key} Δ{figure} all/dev/hold" for figure in _FIGURES[key]]
        head += [f"{key} fired", *changes, f"{key} +/−/sites"]
    head.append("candidate")
    lines = [head]
    for rule, by_set in found.items():
        row = [rule]
        for key in keys:
            result = by_set[key]
            row.append(str(result["fired"]))
            for figure in _FIGURES[key]:
                parts = (result[f"{figure} {part}"] for part in ("all", *_HALVES))
                row.append("/".join(_change(change, figure) for change in parts))
            row.append(f"{result['helps']}/{result['hurts']}/{result['sites']}")
        row.append(candidate(by_set))
        lines.append(row)
    if markdown:
        rows = ["| " + " | ".join(cells) + " |" for cells in lines]
        rows.insert(1, "|" + " --- |" * len(head))
        return "\n".join(rows)
    widths = [max(len(cells[column]) for cells in lines) for column in range(len(head))]
    return "\n".join(" ".join(map(str.ljust, cells, widths)) for cells in lines)


def _change(value: float, figure: str) -> str:
    if figure == "leaks":
        return f"{value:+.0f}" if value else "0"
    return f"{value * 1000:+.1f}" if abs(value) >= _SHOWN else "0"


def main(argv: list[str] | None = None) -> None:
    parser = dataset_parser(__doc__)
    parser.add_argument("--sample", type=int, help="audit on this many pages of each dataset")
    parser.add_argument("--rules", help="comma-separated rule names (default: every rule that fired)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write each rule's figures and pages here")
    parser.add_argument("--baseline", type=Path, help="baseline scores: read if there, else written")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    args = parser.parse_args(argv)
    for key in args.only.split(","):
        _SETS[key] = select(DATASETS[key], args.datasets, args.sample)
    print(f"baseline: {sum(map(len, _SETS.values()))} pages", file=sys.stderr)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        base = baseline(pool, args.baseline)
        rules = args.rules.split(",") if args.rules else rules_fired(base)
        # The cheapest rules first, each written out when done: a long audit is read as it goes.
        for rule in sorted(rules, key=lambda rule: len(tasks_of(base, rule))):
            print(f"{rule}: {len(tasks_of(base, rule))} pages", file=sys.stderr)
            found[rule] = audit(pool, base, rule)
            if args.json:
                args.json.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    print(
        "Change of each figure ×1000 when the rule alone is off (leaks: pages): negative (leaks "
        "positive) = the rule earns its place. +/−/sites: pages it helps, hurts; sites it helps."
    )
    print(table(dict(sorted(found.items())), args.markdown))


if __name__ == "__main__":
    main()
