"""Extraction on real news pages nobody here wrote (../shared/, skipped without it)."""

from __future__ import annotations

import gzip
import json

import pytest

from newscorpus.steps import Extract
from newscorpus.warc.reader import WarcResponse
from tests.conftest import SHARED, need_shared

SETS = ["fundus", "fundus-multilingual"]


@pytest.mark.parametrize("name", SETS)
def test_no_real_page_is_lost_to_an_error(name: str) -> None:
    """Every page whose truth has a body is extracted or, at worst, found to hold no text;
    never dropped because a parser or a metadata helper failed on it."""
    folder = need_shared(SHARED / "benchmarks" / "extraction" / name)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    lost = []
    helper_errors = 0
    for number, (file, entry) in enumerate(sorted(truth.items())):
        if not any(paragraph.strip() for paragraph in entry["body"]):
            continue
        html = gzip.decompress((folder / "html" / file).read_bytes())
        step = Extract()
        response = WarcResponse(entry["url"], html, None, 200, None, f"{name}.warc.gz", number)
        extracted = list(step.run([response]))
        errors = {k: v for k, v in step.stats.items() if "error" in k or "unparsable" in k}
        helper_errors += sum(errors.values())
        if not extracted and errors:
            lost.append((file, errors))
    assert lost == []
    assert helper_errors == 0  # a helper failing on a real page is a bug to look at
