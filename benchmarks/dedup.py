"""Same-story detection: quality on generated and on real-text copies, and its cost as the corpus grows.

    python -m benchmarks.dedup [--stories 2000] [--fill 10000,100000] [--db URL]
    python -m benchmarks.dedup --real [--datasets DIR] [--db URL] [--orders 5]
    python -m benchmarks.dedup --scale [--fill 10000,100000] [--sample 1000] [--db sqlite,URL]

Generated corpus (default): every article of crawler/newsroom/syndication.py's corpus goes through
`Corpus.store_many`, in publication order and in the pipeline's batches; pairwise precision and
recall of "same story" compare the stories the corpus assigned with the true ones, then the cost
is measured as with --scale (unless --no-cost).

Cost (--scale, benchmarks/dedup_scale.py): the corpus is filled with distinct stories up to each
--fill size, then the time per text of the candidate lookup (the band and anchor probes, the
candidates read and verified) and of storing (lookup + insert) a sample of syndicated copies is
measured at that size. --scale takes several databases (--db sqlite,postgresql://...), filled
from the same texts and measured side by side.

Real text (--real): every article page of the shared datasets (fundus-dev, article-extraction-
benchmark; --datasets or $WIREDESK_DATASETS, default ../shared/datasets) with enough text is a
story, served on its publisher's loopback site; each is also carried by 1-3 other publishers, in
their own page templates (crawler/newsroom/transplant.py), with the edits republishers make:
headline rewrites, trimmed endings, editor's notes, an added paragraph. Templates carry several
stories (hard negatives: different stories in one template, different stories from one
publisher). The real `wiredesk crawl` fetches everything into a fresh database; the stories it
made are scored pairwise, then the same texts (the truth, no HTML) are stored directly ("dedup
alone"), in publication order and in --orders shuffled orders, whose partitions are compared.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from benchmarks.dedup_real import real_text
from benchmarks.dedup_scale import print_scale, scale
from benchmarks.dedup_scoring import (
    Score,
    fresh_database,
    partition,
    print_agreement,
    store_texts,
    sweep_table,
    text_item,
)
from benchmarks.extraction_sets import datasets_dir
from cleaner import CleanArticle
from crawler.newsroom.syndication import Copy, corpus
from storage import FetchedPage, linkrule


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--fill", default="10000,100000")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--thresholds", default="0.4,0.5,0.6,0.7")
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    parser.add_argument("--real", action="store_true", help="real-text copies crawled from loopback")
    parser.add_argument("--scale", action="store_true", help="only the cost at each --fill size")
    parser.add_argument("--datasets", type=Path, default=None, help="the shared datasets directory")
    parser.add_argument("--orders", type=int, default=5, help="shuffled orders compared")
    parser.add_argument("--seed", type=int, default=1, help="--real: which copies are made")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost measurement")
    parser.add_argument("--contained", default="0.6,0.7,0.8,0.9", help="containment thresholds swept")
    args = parser.parse_args()
    if args.real:
        datasets = args.datasets or datasets_dir()
        real_text(datasets, args.db, args.orders, args.seed, _floats(args.contained))
        return
    if not args.scale:
        generated(args)
    if args.scale or not args.no_cost:
        dbs = args.db.split(",") if args.scale else [args.db]
        print_scale(scale(dbs, [int(size) for size in args.fill.split(",")], args.sample))


def generated(args: argparse.Namespace) -> None:
    copies = corpus(args.stories)
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(c.story for c in copies).values())
    print(f"corpus: {args.stories} stories, {len(copies)} articles, {true_pairs} same-story pairs")
    print(f"{'threshold':>10}{'precision':>11}{'recall':>9}{'F1':>8}")
    default = linkrule.SIMILAR
    for threshold in (float(t) for t in args.thresholds.split(",")):
        linkrule.SIMILAR = threshold
        with fresh_database(args.db) as url:
            assigned = store_texts(url, [_generated_item(copy) for copy in copies])
        truth = {copy.url: str(copy.story) for copy in copies}
        score = Score.of(truth, assigned)
        print(f"{threshold:>10.2f}{score.precision:>11.4f}{score.recall:>9.4f}{score.f1:>8.4f}")
    linkrule.SIMILAR = default
    print("containment rule swept (same-topic stories and running stories' next days are the negatives):")
    items = [_generated_item(copy) for copy in copies]
    truth = {copy.url: str(copy.story) for copy in copies}
    sweep_table(
        args.db, truth, [("generated", (items, {url: url for url in truth}))], _floats(args.contained)
    )
    tangled_orders(args.db, args.stories // 10, args.orders)


def tangled_orders(db: str, stories: int, orders: int) -> None:
    """Stories whose excerpts hang together only through their original, stored in shuffled orders."""
    items = [_generated_item(copy) for copy in corpus(stories, seed=5, tangled=True)]
    with fresh_database(db) as url:
        reference = store_texts(url, items)
    print(f"tangled corpus ({stories} stories, {len(items)} articles, excerpts):", end=" ")
    print_agreement(db, items, partition({page.url: reference[page.url] for page, _ in items}), orders)


def _floats(listed: str) -> list[float]:
    return [float(value) for value in listed.split(",") if value]


def _generated_item(copy: Copy, prefix: str = "") -> tuple[FetchedPage, CleanArticle]:
    url = copy.url.replace("https://", f"https://{prefix}") if prefix else copy.url
    return text_item(url, copy.site, copy.text, copy.headline, copy.published)


if __name__ == "__main__":
    main()
