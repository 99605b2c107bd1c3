from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pytest

from newscorpus.dedup.minhash import MinHasher, band_keys, similarity
from tests.conftest import news_paragraphs

DEMO = json.loads(files("newscorpus.demo").joinpath("site/articles.json").read_text("utf-8"))


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    from newscorpus.document import words_of

    words = words_of(text.casefold())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def _jaccard(a: str, b: str) -> float:
    first, second = _shingles(a), _shingles(b)
    return len(first & second) / len(first | second)


def test_signatures_are_the_same_in_any_process() -> None:
    text = "\n\n".join(news_paragraphs(7))
    code = (
        "import sys; from newscorpus.dedup.minhash import MinHasher; "
        "sys.stdout.write(MinHasher().signatures([sys.stdin.read()]).tobytes().hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True
    )
    assert other.stdout == MinHasher().signatures([text]).tobytes().hex()
    # and a batch does not change a document's signature
    batch = MinHasher().signatures(["\n\n".join(news_paragraphs(i)) for i in range(5)] + [text])
    assert batch[-1].tobytes().hex() == other.stdout


@pytest.mark.parametrize("changed", [1, 4, 10, 25])
def test_agreement_estimates_jaccard(changed: int) -> None:
    words = " ".join(news_paragraphs(3, paragraphs=6)).split()
    edited = list(words)
    for position in range(0, len(edited), max(len(edited) // changed, 1))[:changed]:
        edited[position] = f"edit{position}"
    a, b = " ".join(words), " ".join(edited)
    estimate = float(similarity(*MinHasher().signatures([a, b])))
    assert abs(estimate - _jaccard(a, b)) < 0.12, (estimate, _jaccard(a, b))


def test_chinese_is_shingled_by_characters() -> None:
    story = DEMO["stories"][0]["versions"]["zh"]["paragraphs"]
    other = DEMO["stories"][1]["versions"]["zh"]["paragraphs"]
    copy = [*story[:-1], "编辑部补充说明：本文部分数据已根据最新统计作出更新。"]
    original, updated, unrelated = "\n\n".join(story), "\n\n".join(copy), "\n\n".join(other)
    signatures = MinHasher().signatures([original, updated, unrelated])
    assert _jaccard(original, updated) > 0.75  # with words split on spaces it would be ~0
    assert similarity(signatures[0], signatures[1]) > 0.7
    assert similarity(signatures[0], signatures[2]) < 0.1


def test_short_and_empty_texts() -> None:
    signatures = MinHasher().signatures(["four words only here", "", "four words only here"])
    assert np.array_equal(signatures[0], signatures[2])
    assert (signatures[1] == np.uint32(0xFFFFFFFF)).all()  # nothing to hash


def test_band_keys_never_match_across_languages() -> None:
    text = "\n\n".join(news_paragraphs(1))
    signatures = MinHasher().signatures([text, text, text])
    keys = band_keys(signatures, ["en", "en", "fr"], bands=14, rows=8)
    assert (keys[0] == keys[1]).all()
    assert not (keys[0] == keys[2]).any()


def test_short_texts_estimate_as_well_as_long_ones() -> None:
    """Fewer shingles than bins: densification must not copy neighbours into neighbours."""
    rng = np.random.default_rng(0)
    vocabulary = np.array([f"w{i}" for i in range(5000)])
    errors = []
    for _ in range(200):
        words = list(rng.choice(vocabulary, 40))
        edited = list(words)
        for position in rng.choice(40, 3, replace=False):
            edited[position] = f"x{rng.integers(10**9)}"
        a, b = " ".join(words), " ".join(edited)
        errors.append(float(similarity(*MinHasher().signatures([a, b]))) - _jaccard(a, b))
    assert abs(np.mean(errors)) < 0.02 and np.std(errors) < 0.06
