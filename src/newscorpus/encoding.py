"""Turn the bytes of an HTML page into text, the way a browser decides its encoding.

Order (WHATWG): byte order mark, then the HTTP Content-Type charset, then a
``<meta charset>`` / ``http-equiv`` declaration in the first bytes, then detection; a
declared legacy encoding gives way to UTF-8 when the bytes are valid UTF-8 (not ASCII).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
# Labels browsers map to a superset encoding (WHATWG Encoding Standard).
_SUPERSETS = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "iso-8859-9": "windows-1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        codec = codecs.lookup(label)
    except LookupError:
        return None
    # rot13, base64, zlib ... are codecs too, but not text encodings
    return codec.name if getattr(codec, "_is_text_encoding", True) else None


def sniff_encoding(body: bytes, header_charset: str | None = None) -> str:
    """The codec to decode ``body`` with."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = _codec(header_charset)
    if declared:
        return _utf8_if_mislabelled(body, declared)
    match = _META_CHARSET.search(body[:4096])
    if match:
        declared = _codec(match.group(1).decode("ascii", "ignore"))
        # A page that says "utf-16" in ASCII bytes is not UTF-16.
        if declared and not declared.startswith("utf-16"):
            return _utf8_if_mislabelled(body, declared)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body[:65536]).best()
        if best is not None:
            return _codec(best.encoding) or "utf-8"
    return "utf-8"


def _utf8_if_mislabelled(body: bytes, declared: str) -> str:
    """UTF-8 for a page declared in a legacy encoding whose bytes are valid UTF-8 with
    non-ASCII characters in them: a label left over from before a move to UTF-8 (or a
    page saved again as UTF-8), a common case. The reverse almost never happens: text in
    a legacy encoding with non-ASCII characters is very rarely valid UTF-8 by chance."""
    if declared in ("utf-8", "utf-8-sig") or body.isascii():
        return declared
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return declared
    return "utf-8"


def decode_html(body: bytes, header_charset: str | None = None) -> str:
    """``body`` as text; undecodable bytes become U+FFFD rather than an error."""
    encoding = sniff_encoding(body, header_charset)
    text = body.decode(encoding, errors="replace")
    return text.removeprefix("\ufeff")
