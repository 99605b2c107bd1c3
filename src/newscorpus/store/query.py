"""SQL over a corpus with DuckDB: the shards are the view ``docs``.

``dropped`` is a second view when the corpus kept its dropped documents
(``--keep-dropped``). DuckDB reads the Parquet files in place, in parallel, and only the
columns and row groups a query needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscorpus.document import DROPPED_SCHEMA, SCHEMA
from newscorpus.errors import UserError
from newscorpus.store.parquet import DATA_DIR, DROPPED_DIR


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than asked for


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UserError(
            "queries need DuckDB: pip install 'newscorpus[query]' (or pip install duckdb)"
        ) from None
    return duckdb


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def corpus_connection(corpus: Path) -> Iterator[Any]:
    """An in-memory DuckDB connection with the views ``docs`` (and ``dropped``)."""
    duckdb = _duckdb()
    connection = duckdb.connect(":memory:")
    try:
        for view, folder, schema in (
            ("docs", DATA_DIR, SCHEMA),
            ("dropped", DROPPED_DIR, DROPPED_SCHEMA),
        ):
            pattern = corpus / folder / "*" / "*.parquet"
            # view names are ours and the path is quoted: nothing here comes from the user
            if any((corpus / folder).glob("*/*.parquet")):
                connection.execute(
                    f"CREATE VIEW {view} AS SELECT * FROM "  # noqa: S608
                    f"read_parquet({_sql_string(str(pattern))}, union_by_name = true)"
                )
            else:  # an empty corpus still answers with its columns
                connection.register(f"_{view}_empty", schema.empty_table())
                connection.execute(f"CREATE VIEW {view} AS SELECT * FROM _{view}_empty")  # noqa: S608
        yield connection
    finally:
        connection.close()


def run_query(corpus: Path, sql: str, max_rows: int | None = None) -> QueryResult:
    """Run ``sql``; returns at most ``max_rows`` rows (all when None)."""
    duckdb = _duckdb()
    with corpus_connection(corpus) as connection:
        try:
            cursor = connection.execute(sql)
        except duckdb.Error as exc:
            message = " ".join(str(exc).split())
            raise UserError(f"query failed: {message}") from None
        if cursor.description is None:  # a statement without a result (SET, CREATE, ...)
            return QueryResult(columns=[], rows=[], truncated=False)
        columns = [column[0] for column in cursor.description]
        if max_rows is None:
            return QueryResult(columns, cursor.fetchall(), truncated=False)
        rows = cursor.fetchmany(max_rows + 1)
        return QueryResult(columns, rows[:max_rows], truncated=len(rows) > max_rows)
