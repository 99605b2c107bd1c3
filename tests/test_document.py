from __future__ import annotations

import pyarrow as pa

from newscorpus.document import (
    SCHEMA,
    SCHEMA_VERSION,
    Document,
    Translation,
    count_words,
    document_id,
)


def test_document_id_is_16_hex_and_stable() -> None:
    first = document_id("https://example.org/a")
    assert first == document_id("https://example.org/a")
    assert first != document_id("https://example.org/b")
    assert len(first) == 16 and int(first, 16) >= 0 and first == first.lower()


def test_count_words_counts_cjk_characters_as_words() -> None:
    assert count_words("Hello brave new world") == 4
    assert count_words("这是一个测试") == 6
    assert count_words("东京 Tokyo 2026年") == 5  # 东, 京, Tokyo, 2026, 年
    assert count_words("") == 0


def test_row_round_trip_through_arrow() -> None:
    doc = Document(
        id="0123456789abcdef",
        url="https://example.org/a",
        canonical_url="https://example.org/a",
        domain="example.org",
        text="One.\n\nTwo.",
        authors=["A. Writer"],
        translations=[Translation("fr", "https://example.org/fr/a")],
        word_count=2,
    )
    table = pa.Table.from_pylist([doc.to_row()], schema=SCHEMA)
    assert table.schema.metadata[b"newscorpus.schema_version"] == SCHEMA_VERSION.encode()
    back = Document.from_row(table.to_pylist()[0])
    assert back.translations == doc.translations
    assert back.to_row() == doc.to_row()


def test_dates_are_written_one_way() -> None:
    """One parser for every date a page gives: a date stays a date (no invented midnight),
    a timestamp keeps its time and offset."""
    from newscorpus.document import iso_date

    assert iso_date(" 2024-03-14 ") == "2024-03-14"
    assert iso_date("2024-03-14T09:30:00Z") == "2024-03-14T09:30:00+00:00"
    assert iso_date("2024-03-14T09:30:00+02:00") == "2024-03-14T09:30:00+02:00"
    assert [iso_date(v) for v in ("", None, "14 March 2024", "2024-13-01")] == [None] * 4
