"""SQL over a corpus through DuckDB: the views, the output formats, the errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.dataset as ds

from newscorpus.store.query import run_query
from tests.test_cli import _one_line_error, run


def test_docs_view_holds_every_stored_document(demo_corpus: Path) -> None:
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    result = run_query(
        demo_corpus, "SELECT language, count(*), sum(word_count) FROM docs GROUP BY 1"
    )
    assert {row[0]: (row[1], row[2]) for row in result.rows} == {
        language: (counts["documents"], counts["words"])
        for language, counts in manifest["languages"].items()
    }
    ids = set(ds.dataset(demo_corpus / "data").to_table(columns=["id"])["id"].to_pylist())
    assert {row[0] for row in run_query(demo_corpus, "SELECT id FROM docs").rows} == ids


def test_dropped_view_says_why(demo_corpus: Path) -> None:
    manifest = json.loads((demo_corpus / "manifest.json").read_text())
    rows = run_query(
        demo_corpus, "SELECT drop_step, drop_reason, count(*) FROM dropped GROUP BY 1, 2"
    ).rows
    counts = {f"{step}.dropped.{reason}": n for step, reason, n in rows}
    assert counts and all(manifest["steps"][key] == n for key, n in counts.items())


def test_max_rows_truncates_and_says_so(demo_corpus: Path) -> None:
    result = run_query(demo_corpus, "SELECT id FROM docs", max_rows=5)
    assert len(result.rows) == 5 and result.truncated
    assert not run_query(demo_corpus, "SELECT id FROM docs LIMIT 3", max_rows=5).truncated


def test_query_command_formats(demo_corpus: Path) -> None:
    sql = "SELECT language, count(*) AS n FROM docs GROUP BY 1 ORDER BY 1"
    table = run("query", str(demo_corpus), sql)
    assert table.returncode == 0, table.stderr
    assert "language" in table.stdout and "fr" in table.stdout
    as_csv = list(
        csv.reader(io.StringIO(run("query", str(demo_corpus), sql, "--format", "csv").stdout))
    )
    assert as_csv[0] == ["language", "n"] and len(as_csv) == 7
    lines = run("query", str(demo_corpus), sql, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["language"] for line in lines] == ["ar", "de", "en", "fr", "ru", "zh"]
    as_json = json.loads(run("--json", "query", str(demo_corpus), sql).stdout)
    assert sum(row["n"] for row in as_json) == sum(int(row[1]) for row in as_csv[1:])
    nested = json.loads(
        run("--json", "query", str(demo_corpus), "SELECT translations FROM docs").stdout
    )
    assert all(isinstance(row["translations"], list) for row in nested)


def test_bad_sql_is_one_line(demo_corpus: Path) -> None:
    _one_line_error(run("query", str(demo_corpus), "SELECT nope FROM docs"), "query failed", "nope")
    _one_line_error(
        run("query", str(demo_corpus / "missing"), "SELECT 1"), "not a newscorpus corpus"
    )


def test_cells_are_shown_as_they_are(demo_corpus: Path) -> None:
    result = run("query", str(demo_corpus), "SELECT '[/] end' AS \"[bold]b\"")
    assert result.returncode == 0, result.stderr
    assert "[/] end" in result.stdout and "[bold]b" in result.stdout
