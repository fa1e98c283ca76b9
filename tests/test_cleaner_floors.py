"""The cleaner's quality does not fall below benchmarks/floors.json on a sample of the shared datasets.

The sample (benchmarks/floors.json "sample_sizes" pages of each set, spread evenly) is scored with
the benchmark's own metrics (benchmarks/extraction.py) and held to the "sample" floors that
`python -m benchmarks.extraction --write-floors` wrote. Quality only: no timing here. Skips, with
the reason, where the datasets are absent ($WIREDESK_DATASETS, else ../shared/datasets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks import extraction as benchmark

REPO = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("WIREDESK_DATASETS", REPO.parent / "shared" / "datasets"))
FLOORS = json.loads((REPO / "benchmarks" / "floors.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(FLOORS["sample"]))
def test_quality_on_a_sample_stays_above_the_floors(key: str) -> None:
    dataset = benchmark.DATASETS[key]
    if not (DATASETS / dataset.folder).is_dir():
        pytest.skip(f"dataset {dataset.folder} not found under {DATASETS} (set WIREDESK_DATASETS)")
    pages = benchmark.select(dataset, DATASETS, FLOORS["sample_sizes"][key])
    rows = [dataset.score(benchmark.wiredesk(page.html, page.url), page) for page in pages]
    figures = dataset.summary(rows, pages)
    assert benchmark.below_floors(figures, FLOORS["sample"][key]) == []
