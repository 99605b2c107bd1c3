"""SQL over a corpus with DuckDB: the shards are the view ``docs``.

``versions`` holds every version of the articles that changed (empty when none did);
``dropped`` the documents the steps dropped when the corpus kept them
(``--keep-dropped``). DuckDB reads the Parquet files in place, in parallel, and only the
columns and row groups a query needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscorpus.corpus import DATA_DIR, VERSIONS_DIR
from newscorpus.document import DROPPED_SCHEMA, SCHEMA
from newscorpus.errors import UserError
from newscorpus.store.parquet import DROPPED_DIR


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than asked for


@dataclass(slots=True)
class QueryRows:
    """The rows of a running query, fetched batch by batch (memory stays flat)."""

    columns: list[str]
    cursor: Any

    def batches(self, size: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        duckdb = _duckdb()
        while True:
            try:
                rows = self.cursor.fetchmany(size)
            except duckdb.Error as exc:
                raise UserError(f"query failed: {_one_line(exc)}") from None
            if not rows:
                return
            yield rows


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UserError(
            "queries need DuckDB: pip install 'newscorpus[query]' (or pip install duckdb)"
        ) from None
    return duckdb


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def corpus_connection(corpus: Path) -> Iterator[Any]:
    """An in-memory DuckDB connection with the views ``docs``, ``versions`` and
    ``dropped``."""
    duckdb = _duckdb()
    connection = duckdb.connect(":memory:")
    try:
        for view, folder, schema in (
            ("docs", DATA_DIR, SCHEMA),
            ("versions", VERSIONS_DIR, SCHEMA),
            ("dropped", DROPPED_DIR, DROPPED_SCHEMA),
        ):
            pattern = corpus / folder / "*" / "*.parquet"
            # view names are ours and the path is quoted: nothing here comes from the user
            if any((corpus / folder).glob("*/*.parquet")):
                statement = (
                    f"CREATE VIEW {view} AS SELECT * FROM "  # noqa: S608
                    f"read_parquet({_sql_string(str(pattern))}, union_by_name = true)"
                )
            else:  # an empty corpus still answers with its columns
                connection.register(f"_{view}_empty", schema.empty_table())
                statement = f"CREATE VIEW {view} AS SELECT * FROM _{view}_empty"  # noqa: S608
            try:
                connection.execute(statement)
            except duckdb.Error as exc:
                raise UserError(
                    f"{corpus / folder}: cannot read the shards ({_one_line(exc)})"
                ) from None
        yield connection
    finally:
        connection.close()


@contextmanager
def open_query(corpus: Path, sql: str) -> Iterator[QueryRows]:
    """Run ``sql`` over the corpus; its rows are read from the result as it is consumed."""
    duckdb = _duckdb()
    with corpus_connection(corpus) as connection:
        try:
            cursor = connection.execute(sql)
        except duckdb.Error as exc:
            raise UserError(f"query failed: {_one_line(exc)}") from None
        # a statement without a result (SET, CREATE, ...) has no columns
        columns = [column[0] for column in cursor.description or []]
        yield QueryRows(columns, cursor if columns else None)


def run_query(corpus: Path, sql: str, max_rows: int | None = None) -> QueryResult:
    """Run ``sql``; returns at most ``max_rows`` rows (all when None)."""
    with open_query(corpus, sql) as result:
        if not result.columns:
            return QueryResult(columns=[], rows=[], truncated=False)
        rows: list[tuple[Any, ...]] = []
        for batch in result.batches(10_000 if max_rows is None else max_rows + 1):
            rows.extend(batch)
            if max_rows is not None and len(rows) > max_rows:
                return QueryResult(result.columns, rows[:max_rows], truncated=True)
        return QueryResult(result.columns, rows, truncated=False)
