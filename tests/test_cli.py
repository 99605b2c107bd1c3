"""The command line as a user meets it: real subprocesses, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ctrl_c_reaches_it, html_page, write_warc


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "newscorpus", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_everywhere() -> None:
    commands = ["process", "stats", "export", "demo", "report", "query", "sample", "publish"]
    for command in ([], *([c] for c in commands)):
        result = run(*command, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("setup", "args", "fragments"),
    [
        (None, ["process", "missing.warc.gz", "--out", "c"], ["missing.warc.gz", "no such file"]),
        ("notes.txt", ["process", "notes.txt", "--out", "c"], ["not a WARC file"]),
        ("fake.warc.gz", ["process", "fake.warc.gz", "--out", "c"], ["not a WARC file"]),
        (None, ["stats", "nowhere"], ["not a newscorpus corpus"]),
        (None, ["export", "nowhere", "--out", "x"], ["not a newscorpus corpus"]),
    ],
)
def test_user_mistakes_give_one_clear_line(
    tmp_path: Path, setup: str | None, args: list[str], fragments: list[str]
) -> None:
    if setup:
        (tmp_path / setup).write_text("this is not an archive")
    _one_line_error(run(*args, cwd=tmp_path), *fragments)


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ("[process\nmin_words = 3", ["not valid TOML"]),
        ("[process]\nmin_wrds = 3", ["unknown option 'min_wrds'"]),
        ("[process.quality]\nmin_words = 'many'", ["process].quality.min_words", "expected int"]),
        ("[process]\nboilerplate_min_documents = 1", ["at least 2"]),
        ("[process]\nlanguages = ['xx']", ["unknown language code(s): xx"]),
        ("[process.quality]\nmax_top_ngram_chars = [0.2]", ["expected a list of 3 values"]),
        ("[process.dedup]\nbands = 0", ["at least 1"]),
        ("[proces]\nmin_words = 3", ["unknown table or key 'proces'", "[process]"]),
        ("min_words = 3", ["unknown table or key 'min_words'"]),
        ("[process]\nmax_body_bytes = 0", ["max_body_bytes must be at least 1024"]),
        ("[process]\nmax_body_bytes = '16M'", ["max_body_bytes", "expected int"]),
        ("[process.quality]\nmax_words = 0", ["max_words must be at least 1"]),
        ("[process.quality]\nmax_short_lines = 1.5", ["max_short_lines", "within 0..1"]),
        ("[process.dedup]\nbands = 2.5", ["dedup.bands", "expected int"]),
        ("[process]\nlanguages = ['fr']\n# caf\xe9".encode("latin-1"), ["not UTF-8"]),
    ],
)
def test_a_broken_config_is_one_clear_line(
    tmp_path: Path, config: str | bytes, fragments: list[str]
) -> None:
    warc = write_warc(tmp_path, [("http://a.test/", html_page("t", ["x"]), [])])
    data = config.encode() if isinstance(config, str) else config
    (tmp_path / "nc.toml").write_bytes(data)
    result = run("process", str(warc), "--out", "c", "--config", "nc.toml", cwd=tmp_path)
    _one_line_error(result, *fragments)
    assert not (tmp_path / "c").exists()  # refused before any work


def test_the_library_refuses_what_the_command_line_refuses(tmp_path: Path) -> None:
    from newscorpus import ProcessOptions, process
    from newscorpus.errors import UserError

    with pytest.raises(UserError, match="nothing to process"):
        process([], tmp_path / "corpus")
    warc = write_warc(tmp_path, [("http://a.test/", html_page("t", ["x"]), [])])
    with pytest.raises(UserError, match="max_body_bytes"):
        process([warc], tmp_path / "corpus", ProcessOptions(max_body_bytes=0))
    assert not (tmp_path / "corpus").exists()


def test_unwritable_output_is_one_clear_line(tmp_path: Path) -> None:
    warc = write_warc(tmp_path, [("http://a.test/", html_page("t", ["x"]), [])])
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should go")
    _one_line_error(
        run("process", str(warc), "--out", str(blocker / "corpus")), "cannot write here"
    )


def test_process_stats_export(demo_warc: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    result = run("process", str(demo_warc), "--out", str(corpus), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "documents written" in result.stderr
    stats = run("stats", str(corpus))
    assert stats.returncode == 0
    for word in ("documents", "words", "by language", "zh", "127.0.0.1", "2026-03"):
        assert word in stats.stdout

    txt = tmp_path / "txt"
    assert run("export", str(corpus), "--format", "txt", "--out", str(txt)).returncode == 0
    files = sorted(txt.glob("*.txt"))
    import pyarrow.dataset as ds

    rows = ds.dataset(corpus / "data").to_table(columns=["id", "title", "text"]).to_pylist()
    assert len(files) == len(rows)
    for path in files:
        shard, doc_id = path.stem.split("_")
        assert len(shard) == 3 and shard.isdigit() and len(doc_id) == 16
    row = rows[0]
    content = (txt / f"000_{row['id']}.txt").read_text(encoding="utf-8")
    assert content == f"{row['title']}\n\n{row['text']}\n"
    assert "\n\n\n" not in content

    jsonl = tmp_path / "jsonl"
    assert (
        run(
            "export", str(corpus), "--format", "jsonl", "--out", str(jsonl), "--language", "fr"
        ).returncode
        == 0
    )
    import json

    lines = (jsonl / "000.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["language"] == "fr" for line in lines)


def test_demo_builds_a_loadable_corpus(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    corpus = tmp_path / "corpus"
    assert (corpus / "manifest.json").exists() and (corpus / "README.md").exists()
    assert "by language" in result.stdout
    assert (corpus / "report.html").exists() and "report.html" in result.stderr
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(corpus), split="train", cache_dir=str(tmp_path / "hf"))
    assert loaded.num_rows >= 24
    assert {"en", "fr", "de", "ru", "ar", "zh"} <= set(loaded["language"])
    # the second pass re-visited the articles after the site edited two English ones: the
    # new headline and paragraph are version 2, the new "Updated" stamp alone no version
    english = {r["url"].rsplit("/", 1)[-1]: r for r in loaded if r["language"] == "en"}
    edited = next(r for name, r in english.items() if "solar" in name)
    stamped = next(r for name, r in english.items() if "drought" in name or "wine" in name)
    assert edited["version"] == 2 and edited["title"].endswith("two more planned")
    assert edited["changes"] == {
        "title_changed": True, "paragraphs_added": 1, "paragraphs_removed": 0,
        "paragraphs_changed": 0,
    }  # fmt: skip
    assert stamped["version"] == 1 and edited["first_seen"] < edited["crawled_at"]
    # the live blog got a sixth update and shows its latest five: version 2 holds all six
    (live,) = [r for r in loaded if r["page_type"] == "live_blog"]
    assert live["version"] == 2 and len(live["updates"]) == 6
    assert all(r["version"] == 1 for r in loaded if r["id"] not in (edited["id"], live["id"]))
    versions = datasets.load_dataset(
        str(corpus), "versions", split="train", cache_dir=str(tmp_path / "hf")
    )
    assert sorted(versions["version"]) == [1, 1, 2, 2]
    assert set(versions["id"]) == {edited["id"], live["id"]}
    assert "3 changed (archived)" in result.stderr  # the three edited pages, the rest 304
    history = run("history", str(corpus), edited["url"], cwd=tmp_path)
    assert history.returncode == 0, history.stderr
    assert "inner harbour{+, two more planned+}" in history.stdout
    # a second demo replaces the first instead of doubling it
    import pyarrow.dataset as ds

    again = run("demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert ds.dataset(corpus / "data").count_rows() == loaded.num_rows
    assert len(list((tmp_path / "corpus-crawl" / "warc").glob("*.warc.gz"))) == 2  # two passes
    # and it never deletes a folder that is not its own
    other = tmp_path / "mine"
    (other / "notes").mkdir(parents=True)
    _one_line_error(run("demo", "--out", str(other), cwd=tmp_path), "not a demo corpus")
    assert (other / "notes").exists()


def test_json_and_quiet_for_scripts(demo_warc: Path, tmp_path: Path) -> None:
    import json

    corpus = tmp_path / "corpus"
    result = run("--json", "process", str(demo_warc), "--out", str(corpus), "--workers", "1")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert summary["corpus_documents"] == manifest["documents"] == summary["documents_written"]
    assert summary["languages"] == {k: v["documents"] for k, v in manifest["languages"].items()}
    assert summary["counts"]["read.html"] == manifest["steps"]["read.html"]
    assert summary["shards_failed"] == [] and result.stderr == ""
    assert (corpus / "manifest.json").stat().st_mode & 0o044  # readable by others (umask 022)

    again = run("--json", "process", str(demo_warc), "--out", str(corpus))
    assert json.loads(again.stdout)["shards_already_done"] == summary["shards"]

    quiet = run("-q", "process", str(demo_warc), "--out", str(corpus))
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""

    stats = json.loads(run("--json", "stats", str(corpus)).stdout)
    assert stats["documents"] == manifest["documents"] and stats["files"] >= 6
    exported = run("--json", "export", str(corpus), "--out", str(tmp_path / "txt"))
    assert json.loads(exported.stdout)["documents"] == manifest["documents"]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_demo_that_keeps_serving_stops_on_a_signal(tmp_path: Path, how: int) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "newscorpus", "demo", "--keep-serving"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        preexec_fn=ctrl_c_reaches_it,
    )
    assert demo.stderr is not None
    try:
        for line in demo.stderr:
            if "press Ctrl-C to stop" in line:
                break
        else:
            pytest.fail(f"the demo ended without serving (status {demo.wait()})")
        demo.send_signal(how)  # after the crawl: scrapy's handlers must be gone by now
        # ~2 s on an idle machine, up to ~10 s under load; ignored, the signal would leave it
        # serving forever
        assert demo.wait(timeout=60) == 0
        assert "Traceback" not in demo.stderr.read()
    finally:
        demo.kill()


def test_an_output_that_is_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "corpus"
    target.write_text("a file where a folder should go")
    _one_line_error(run("demo", "--out", str(target), cwd=tmp_path), "is a file")
    assert not (tmp_path / "corpus-crawl").exists()  # no crawl was started
    seed = "http://127.0.0.1:9/"  # never contacted: the check comes first
    _one_line_error(
        run("build", seed, "--out", str(target), "--allow-private", cwd=tmp_path), "is a file"
    )
    assert not (tmp_path / "corpus-crawl").exists()
    assert target.read_text() == "a file where a folder should go"


@pytest.mark.parametrize(
    ("command", "arguments", "fragment"),
    [
        ("crawl", ["http://127.0.0.1:9/", "--allow-private", "300.1.1.1"], "'300.1.1.1'"),
        ("build", ["http://127.0.0.1:9/", "--allow-private=127.0.0.1,bad"], "'127.0.0.1,bad'"),
        ("crawl", ["--allow-private", "http://127.0.0.1:9/"], "a seed URL goes before"),
    ],
)
def test_a_bad_allow_private_value_is_one_line(
    tmp_path: Path, command: str, arguments: list[str], fragment: str
) -> None:
    result = run(command, "--out", str(tmp_path / "out"), *arguments, cwd=tmp_path)
    _one_line_error(result, "--allow-private", "not an IP address or network", fragment)
    assert result.returncode == 1  # as --worker-id without --frontier, or a bad --from
    assert not (tmp_path / "out").exists() and not (tmp_path / "out-crawl").exists()
