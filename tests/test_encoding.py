from __future__ import annotations

import codecs

from newscorpus.encoding import decode_html, sniff_encoding

RUSSIAN = "Новости: правительство объявило о новых мерах поддержки экономики региона."
JAPANESE = "東京都は新しい防災計画を発表しました。市民の安全を守るための取り組みです。"


def test_windows_1251_declared_only_in_meta() -> None:
    body = f'<html><head><meta charset="windows-1251"></head><body>{RUSSIAN}</body></html>'
    raw = body.encode("cp1251")
    assert sniff_encoding(raw, None) == "cp1251"
    assert RUSSIAN in decode_html(raw)


def test_shift_jis_declared_in_http_equiv() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    raw = f"<html><head>{head}</head><body>{JAPANESE}</body></html>".encode("shift_jis")
    assert JAPANESE in decode_html(raw)


def test_header_charset_wins_over_meta_and_bom_wins_over_header() -> None:
    raw = f'<meta charset="iso-8859-1"><p>{RUSSIAN}</p>'.encode("koi8-r")
    assert RUSSIAN in decode_html(raw, "koi8-r")
    with_bom = codecs.BOM_UTF8 + f"<p>{RUSSIAN}</p>".encode()
    assert decode_html(with_bom, "iso-8859-1") == f"<p>{RUSSIAN}</p>"


def test_undeclared_encoding_is_detected() -> None:
    raw = f"<html><body><p>{RUSSIAN} {RUSSIAN}</p></body></html>".encode("cp1251")
    assert RUSSIAN in decode_html(raw)


def test_unknown_label_falls_back_to_detection() -> None:
    raw = f"<p>{RUSSIAN}</p>".encode()
    assert RUSSIAN in decode_html(raw, "no-such-charset")


def test_codecs_that_are_not_text_encodings_are_ignored() -> None:
    raw = f"<p>{RUSSIAN}</p>".encode()
    for label in ("rot13", "base64", "zlib", "hex"):
        assert RUSSIAN in decode_html(raw, label)


CHINESE = "习近平主席向首届中国－拉美和加勒比国家航天合作论坛致贺信，为中拉深化航天合作指明方向。"


def test_a_legacy_label_on_utf8_bytes_gives_way_to_utf8() -> None:
    # a page moved to UTF-8 that still says GB2312 (or a header that says ISO-8859-1)
    head = '<meta http-equiv="content-type" content="text/html;charset=GB2312"/>'
    raw = f"<html><head>{head}</head><body>{CHINESE}</body></html>".encode()
    assert CHINESE in decode_html(raw)
    assert RUSSIAN in decode_html(f"<p>{RUSSIAN}</p>".encode(), "iso-8859-1")
    # what the label says still holds for bytes of that encoding
    legacy = f"<html><head>{head}</head><body>{CHINESE}</body></html>".encode("gb18030")
    assert sniff_encoding(legacy) == "gb18030" and CHINESE in decode_html(legacy)
    latin = "<meta charset='windows-1252'><p>Café, crème brûlée, déjà vu.</p>"
    assert "Café, crème brûlée" in decode_html(latin.encode("cp1252"))


def test_a_real_page_labelled_gb2312_in_utf8_reads_right() -> None:
    import gzip

    from tests.conftest import SHARED, need_shared

    page = need_shared(
        SHARED / "benchmarks/extraction/fundus-multilingual/html/cn_People_2024_04_24.html.gz"
    )
    text = decode_html(gzip.decompress(page.read_bytes()))
    assert "习近平主席" in text and "促进航天技术更好惠及人民" in text


def test_what_browsers_do_beyond_the_old_rules() -> None:
    """w3lib's WHATWG rules: a UTF-32 byte order mark, UTF-7 refused (it can smuggle
    markup past a filter: "+ADw-script+AD4-"), and labels browsers know (x-gbk)."""
    text = "<p>Zürich — 北京</p>"
    assert decode_html("\ufeff".encode("utf-32-le") + text.encode("utf-32-le")) == text
    smuggled = b"<html><body>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</body></html>"
    assert "<script>" not in decode_html(smuggled, "utf-7")
    chinese = "<html><head><meta charset='x-gbk'></head><body>北京新闻</body></html>"
    assert "北京新闻" in decode_html(chinese.encode("gbk"))
    assert sniff_encoding(b"<p>x</p>", "rot13") == "utf-8"  # not a text encoding
