"""Publishing to the HuggingFace Hub, up to the point of needing the network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from newscorpus.publish import plan_publish
from tests.conftest import free_port
from tests.test_cli import _one_line_error


def _publish(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return subprocess.run(
        [sys.executable, "-m", "newscorpus", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "COLUMNS": "200", **env},
    )


def test_plan_uploads_the_corpus_not_its_state(demo_corpus: Path) -> None:
    plan = plan_publish(demo_corpus, "lab/news")
    assert plan.files[0] == "README.md" and "manifest.json" in plan.files
    data = sorted(
        p.relative_to(demo_corpus).as_posix() for p in demo_corpus.glob("data/*/*.parquet")
    )
    assert [f for f in plan.files if f.startswith("data/")] == data
    assert not any(f.startswith((".state", "dropped")) for f in plan.files)
    assert 'load_dataset("lab/news"' in plan.card
    with_dropped = plan_publish(demo_corpus, "lab/news", include_dropped=True)
    assert any(f.startswith("dropped/") for f in with_dropped.files)


def test_dry_run_lists_files_without_a_token(demo_corpus: Path, tmp_path: Path) -> None:
    result = _publish(
        "--json",
        "publish",
        str(demo_corpus),
        "--repo",
        "lab/news",
        "--dry-run",
        HF_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["files"] == plan_publish(demo_corpus, "lab/news").files and listed["bytes"] > 0


def test_without_a_token_says_how_to_get_one(demo_corpus: Path, tmp_path: Path) -> None:
    result = _publish("publish", str(demo_corpus), "--repo", "lab/news", HF_HOME=str(tmp_path))
    _one_line_error(result, "no HuggingFace token", "HF_TOKEN")


def test_unreachable_hub_is_one_clear_line(demo_corpus: Path, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # loopback only: nothing leaves the machine
    corpus = tmp_path / "corpus"
    shutil.copytree(demo_corpus, corpus)
    result = _publish(
        "publish",
        str(corpus),
        "--repo",
        "lab/news",
        HF_HOME=str(tmp_path),
        HF_TOKEN="hf_test",
        HF_ENDPOINT=endpoint,
    )
    _one_line_error(result, "cannot reach the HuggingFace Hub", endpoint)
    offline = _publish(
        "publish",
        str(corpus),
        "--repo",
        "lab/news",
        HF_HOME=str(tmp_path),
        HF_TOKEN="hf_test",
        HF_ENDPOINT=endpoint,
        HF_HUB_OFFLINE="1",
    )
    _one_line_error(offline, "HF_HUB_OFFLINE")
    assert not (corpus / "README.md").read_text().count("lab/news")  # local card untouched


def test_bad_repository_names_and_folders(demo_corpus: Path, tmp_path: Path) -> None:
    _one_line_error(_publish("publish", str(demo_corpus), "--repo", "news"), "ORG/NAME")
    _one_line_error(_publish("publish", str(demo_corpus), "--repo", "lab/n ews"), "lab/n ews")
    _one_line_error(_publish("publish", str(tmp_path), "--repo", "lab/news"), "not a newscorpus")
