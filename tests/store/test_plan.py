from __future__ import annotations

import json
from pathlib import Path

from newscorpus.corpus import Corpus
from newscorpus.store.plan import ShardPlan, plan_shards
from newscorpus.warc.remote import RemoteWarc
from tests.test_pipeline import _article_warc


def test_a_plan_reads_and_writes_back_as_it_was(tmp_path: Path) -> None:
    """Shards keep their numbers across runs: a new input is numbered after the old ones,
    a streamed one is one shard, and the saved plan survives a read and write unchanged."""
    corpus = Corpus(tmp_path / "corpus")
    corpus.prepare()
    first = _article_warc(tmp_path / "a", 7, prefix="first")
    shards = plan_shards(corpus, [first], records_per_shard=3)
    assert [(s.number, s.end is None) for s in shards] == [(0, False), (1, False), (2, True)]
    second = _article_warc(tmp_path / "b", 2, prefix="second")
    remote = RemoteWarc("https://mirror.test/CC-NEWS-1.warc.gz", "CC-NEWS-1.warc.gz",
                        source="cc-news", domains=frozenset({"b.test", "a.test"}))  # fmt: skip
    again = plan_shards(corpus, [second, first, remote], records_per_shard=3)
    assert sorted(s.number for s in again) == [0, 1, 2, 3, 4]
    assert [s.number for s in again if s.remote is not None] == [4]
    saved = json.loads(corpus.plan_file.read_text("utf-8"))
    plan = ShardPlan.read(corpus)
    assert plan.numbers() == [0, 1, 2, 3, 4] and plan.source() == "mixed"
    assert sorted(plan.names()) == sorted([first.name, second.name, "CC-NEWS-1.warc.gz"])
    plan.write(corpus)
    assert json.loads(corpus.plan_file.read_text("utf-8")) == saved
    assert ShardPlan.read(Corpus(tmp_path / "nothing")).numbers() == []
