"""Dates and bylines written for readers, in the page's own language.

Many sites give no machine-readable date or author: only "Publié le 12 mars 2024 à
14h05", "12 марта 2024 г.", "2023年12月28日", "लेखक: राकेश शर्मा" or "김민수 기자" near the
headline. This module reads those, in some thirty languages, from the elements a page
uses for them (``<time>``, classes such as ``date``, ``byline``, ``author``, and the lines
right under the ``<h1>``). It is a fast, first fallback; trafilatura's heuristics
(htmldate) come after it, for what it does not find.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import lxml.etree
import lxml.html

from newscorpus.document import iso_date

# --- dates -----------------------------------------------------------------------------

_MONTH_NAMES: dict[int, str] = {
    1: "january jan janvier janv janvier januar jänner enero gennaio janeiro januari stycznia "
    "styczeń ledna leden января январь січня січень януари ocak ιανουαρίου január ianuarie "
    "tammikuuta يناير كانون الثاني ژانویه जनवरी",
    2: "february feb février févr fevrier februar febrero febbraio fevereiro februari lutego "
    "luty února únor февраля февраль лютого лютий февруари şubat φεβρουαρίου február "
    "februarie helmikuuta فبراير شباط فوریه फ़रवरी फरवरी",
    3: "march mar mars märz marz mär marzo março maart marca marzec března březen марта "
    "март березня березень mart μαρτίου március martie maaliskuuta maret مارس آذار मार्च",
    4: "april apr avril avr abril aprile kwietnia kwiecień dubna duben апреля апрель квітня "
    "квітень април nisan απριλίου április aprilie huhtikuuta أبريل إبريل ابريل نيسان آوریل "
    "अप्रैल",
    5: "may mai mayo maggio maio mei maja maj května květen мая май травня травень "
    "mayıs μαΐου május toukokuuta مايو أيار مه मई",
    6: "june jun juin juni junio giugno junho czerwca czerwiec června červen июня июнь "
    "червня червень юни haziran ιουνίου június iunie kesäkuuta يونيو يونيه حزيران ژوئن जून",
    7: "july jul juillet juil juli julio luglio julho lipca lipiec července červenec июля "
    "июль липня липень юли temmuz ιουλίου július iulie heinäkuuta يوليو يوليه تموز ژوئیه "
    "जुलाई",
    8: "august aug août aout agosto augustus agustus sierpnia sierpień srpna srpen августа "
    "август серпня серпень ağustos αυγούστου augusztus elokuuta أغسطس اغسطس آب اوت अगस्त",
    9: "september sep sept septembre septiembre setiembre settembre setembro września "
    "wrzesień září сентября сентябрь вересня вересень септември eylül σεπτεμβρίου "
    "szeptember septembrie syyskuuta سبتمبر أيلول سپتامبر सितंबर सितम्बर",
    10: "october oct octobre oktober okt octubre ottobre outubro października październik "
    "října říjen октября октябрь жовтня жовтень октомври ekim οκτωβρίου október "
    "octombrie lokakuuta أكتوبر اكتوبر تشرين الأول اکتبر अक्टूबर अक्तूबर",
    11: "november nov novembre noviembre novembro listopada listopad listopadu ноября "
    "ноябрь листопада листопад ноември kasım νοεμβρίου noiembrie marraskuuta نوفمبر "
    "تشرين الثاني نوامبر नवंबर नवम्बर",
    12: "december dec décembre déc decembre dezember dez diciembre dicembre dezembro "
    "desember grudnia grudzień prosince prosinec декабря декабрь грудня грудень декември "
    "aralık δεκεμβρίου decembrie joulukuuta ديسمبر كانون الأول دسامبر दिसंबर दिसम्बर",
}
# Arabic names of two words ("كانون الثاني") are listed as such below; the rest split on spaces.
_TWO_WORD_MONTHS = {
    "كانون الثاني": 1,
    "تشرين الأول": 10,
    "تشرين الثاني": 11,
    "كانون الأول": 12,
}
_MONTHS: dict[str, int] = {}
for _number, _names in _MONTH_NAMES.items():
    for _name in _names.split():
        if _name not in {"كانون", "تشرين", "الثاني", "الأول"}:
            _MONTHS.setdefault(unicodedata.normalize("NFC", _name), _number)
_MONTHS.update(_TWO_WORD_MONTHS)
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))

# What squeezed() leaves out: [\W_] is exactly what str.isalnum() rejects.
_NOT_ALNUM = re.compile(r"[\W_]+")
_NAMED_DAY_FIRST = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|er|º|o)?\s*(?:de\s+)?({_MONTH})\.?,?\s*(?:de\s+)?(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_NAMED_MONTH_FIRST = re.compile(
    rf"(?<![^\W\d_])({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
_NAMED_YEAR_FIRST = re.compile(rf"(?<!\d)(\d{{4}})\.?\s+({_MONTH})\s+(\d{{1,2}})", re.IGNORECASE)
_CJK = re.compile(r"(?<!\d)(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
_TIME = re.compile(r"^\D{0,12}?(\d{1,2})\s*[:h]\s*(\d{2})(?!\d)")

# Words that say the date that follows is a revision, not the first publication.
_MODIFIED = re.compile(
    r"mis à jour|modifié|actualisé|updated|update|last modified|aktualisiert|geändert"
    r"|actualizado|actualización|aggiornato|atualizado|bijgewerkt|zaktualizowano"
    r"|aktualizováno|обновлено|обновлён|обновлен|оновлено|актуализирано|güncellendi|güncelleme"
    r"|تحديث|تم التحديث|更新|修改|수정|업데이트|अपडेट|संशोधित|cập nhật|diperbarui|päivitetty",
    re.IGNORECASE,
)

# Every Unicode decimal digit (Arabic-Indic, Devanagari, full-width...) to ASCII.
_DIGITS = str.maketrans(
    {
        chr(code): str(unicodedata.digit(chr(code)))
        for code in range(0x0660, 0xFF20)
        if unicodedata.category(chr(code)) == "Nd"
    }
)


@dataclass(slots=True)
class FoundDate:
    value: str  # ISO 8601: a date, or a date and time without zone
    start: int
    modified: bool = False


def find_dates(text: str, month_first: bool = False) -> list[FoundDate]:
    """The dates written in ``text``, in order, each marked as a revision date or not.

    ``month_first``: read 03/04/2024 as March 4 (US English) rather than 3 April.
    """
    text = unicodedata.normalize("NFC", text.translate(_DIGITS))
    found: list[tuple[int, int, date]] = []
    for pattern, order in (
        (_CJK, "ymd"),
        (_YEAR_FIRST, "ymd"),
        (_NAMED_YEAR_FIRST, "yMd"),
        (_NAMED_DAY_FIRST, "dMy"),
        (_NAMED_MONTH_FIRST, "Mdy"),
        (_DAY_FIRST, "mdy" if month_first else "dmy"),
    ):
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end, _ in found):
                continue
            day = _to_date(dict(zip(order, match.groups(), strict=True)))
            if day is not None:
                found.append((match.start(), match.end(), day))
    found.sort()
    dates = []
    previous_end = 0
    for start, end, day in found:
        value = day.isoformat()
        clock = _TIME.match(text[end : end + 24])
        if clock and int(clock.group(1)) < 24 and int(clock.group(2)) < 60:
            value = f"{value}T{int(clock.group(1)):02d}:{clock.group(2)}:00"
        label = text[previous_end:start]
        dates.append(FoundDate(value, start, modified=bool(_MODIFIED.search(label))))
        previous_end = end
    return dates


def _to_date(parts: dict[str, str]) -> date | None:
    try:
        month = int(parts["m"]) if "m" in parts else _MONTHS[parts["M"].casefold()]
        year, day = int(parts["y"]), int(parts["d"])
        if not 1990 <= year <= 2100:
            return None
        return date(year, month, day)
    except (KeyError, ValueError):
        return None


# --- bylines ---------------------------------------------------------------------------

# Words that name the author's role ("Autorin/Autor", "责编"): a line that starts with one
# is a byline wherever it stands. Prepositions ("by", "par", "von") only where a byline is
# expected: elsewhere they start ordinary sentences and teasers.
_ROLE_LABEL = (
    r"(?:tác giả|autor(?:in|innen|a|es|en|zy)?(?:/autor(?:in)?)?|authors?|auteurs?|verfasser"
    r"|автор(?:ы|и)?|текст|редактор|بقلم|كتب|كتبت|إعداد|लेखक|रिपोर्ट)(?=[\s:：/|]|$)"
    r"|记者|記者|责任编辑|责编|作者(?=[:：\s])|文(?=[/／:：])|글(?=[\s:：])"
)
_BYLINE_PREFIX = re.compile(
    rf"^\s*[(（]?\s*(?:(?:by|par|von|por|di|da|door|av|af|przez|oleh|yazan)(?=[\s:：/|])"
    rf"|{_ROLE_LABEL})\s*[:：/／|]?\s*",
    re.IGNORECASE,
)
_ROLE_PREFIX = re.compile(rf"^\s*[(（]?\s*(?:{_ROLE_LABEL})\s*[:：/／|]?\s*", re.IGNORECASE)
# The first letters of the labels above: a line that starts otherwise is not tried.
_ROLE_INITIALS = frozenset("tavатрбكإलर记記责作文글")
# Korean, Japanese and Hindi put the role after the name: "김민수 기자", "山田太郎 記者".
_BYLINE_SUFFIX = re.compile(r"\s*(?:기자|특파원|記者|记者|द्वारा|reporter)\s*$", re.IGNORECASE)
# Case matters: "Dan Smith" and "John A. Smith" are one name each.
_NAME_SEPARATOR = re.compile(
    r"\s*(?:,|;|&|/|、|，|\band\b|\bet\b|\bund\b|\by\b|\be\b|\bi\b|\bи\b|\bі\b|\bта\b|\bve\b"
    r"|\bdan\b|\bvà\b|\bog\b|\ben\b|\ba\b|\bو\b|\bआणि\b|\bऔर\b|\bतथा\b)\s*"
)
_PARTICLES = frozenset(
    {
        "de", "da", "do", "dos", "das", "del", "della", "di", "du", "van", "von", "der", "den",
        "ten", "ter", "le", "la", "al", "el", "bin", "ibn", "y", "e",
    }
)  # fmt: skip
_NOT_A_NAME = re.compile(r"\d|https?:|@|©|\b(?:staff|редакция|agences?|afp|ap|reuters|dpa)\b", re.I)
_BYLINE_END = re.compile(r"\s*[|·•]\s*|\s[-–—]\s")
MAX_NAME_WORDS = 5


def byline_names(text: str) -> list[str]:
    """Author names of a byline: "Par Marie Dupont et Jean Martin" -> two names."""
    text = " ".join(text.split())
    prefixed = _BYLINE_PREFIX.match(text)
    suffixed = _BYLINE_SUFFIX.search(text)
    if not prefixed and not suffixed:
        return []
    if prefixed:
        text = text[prefixed.end() :]
    text = _BYLINE_END.split(text, maxsplit=1)[0]  # "Name | Published: ..." ends at the bar
    text = _BYLINE_SUFFIX.sub("", text)
    names = []
    for part in _NAME_SEPARATOR.split(text):
        part = part.strip(" .:-–—|·()（）")
        if part and looks_like_name(part):
            names.append(part)
    return names


def looks_like_name(text: str) -> bool:
    """A person's name: a few words, capitalised where the script has capitals."""
    words = text.split()
    if not 1 <= len(words) <= MAX_NAME_WORDS or _NOT_A_NAME.search(text):
        return False
    for word in words:
        letters = [c for c in word if c.isalpha()]
        if not letters or letters[0].lower() == letters[0].upper():
            continue  # a script without case (CJK, Arabic, Devanagari...)
        lower = word.lower()
        if lower in _PARTICLES or lower.startswith(("al-", "el-", "d'", "o'")):
            continue
        if not letters[0].isupper():
            return False
    return True


# A page's structured data names people, but also the outlet ("n-tv NACHRICHTEN",
# "Deutsche Welle (www.dw.com)"), ids, credits and social accounts, and several people in
# one string ("Ana Ruiz and Tom Berg", "srf/hosb;kesm").
_LIST_SEPARATOR = re.compile(r"\s*(?:;|,|&|、|，|\band\b|\bund\b|\bet\b|\bog\b|\boch\b)\s*")
_NOT_A_PERSON = re.compile(
    r"^(?:bild|foto|photo|image|credit|quelle|source)\s*:|[@?!。！？]|https?:|www\."
    r"|\w\.[a-z]{2,6}(?:$|[\s/),])"
    r"|^\W*\d+\W*$|\b(?:images?|photos?|fotos?|getty|shutterstock|twitter|facebook|instagram"
    r"|linkedin|tiktok|youtube|newsletter)\b"
    r"|[\u3040-\u30ff\u3400-\u9fff]{9}"  # a name in Han or kana is short: this is a sentence
    r"|^.{61}",
    re.IGNORECASE,
)
_AGENCY = re.compile(
    r"\b(?:afp|ap|reuters|dpa|epa|ansa|efe|apa|sda|kna|epd|xinhua|kyodo|tass)\b", re.IGNORECASE
)


def author_names(values: list[str], outlets: list[str]) -> tuple[list[str], bool]:
    """The authors a page names, and whether they are only the outlet itself.

    Lists are split, ids, credits and social accounts left out. People and news agencies
    are authors; the outlet ("n-tv NACHRICHTEN", "BBC News": one of ``outlets``, the names
    the page gives itself, or a host name) is kept only when no one else is named, and then
    said, so that a byline in the page can replace it.
    """
    own = {squeezed(o) for o in outlets if o and len(squeezed(o)) >= 2}
    authors: list[str] = []
    house: list[str] = []
    for value in values:
        value = _BYLINE_SUFFIX.sub("", " ".join(value.split()))  # "신현주 기자"
        parts = [p.strip(" .:-–—|·") for p in _LIST_SEPARATOR.split(value)]
        parts = [p for p in parts if p]
        listed = ";" in value  # a list whatever its items look like ("srf/hosb;kesm")
        if len(parts) > 1 and not listed and not looks_like_name(parts[0]):
            parts = [value]  # "Dr. Smith, Jr." or an odd spelling: whole
        for index, part in enumerate(parts):
            if _is_outlet(part, own):
                house.append(part)
            elif _NOT_A_PERSON.search(part):
                continue
            elif index == 0 or listed or looks_like_name(part) or _AGENCY.search(part):
                authors.append(part)  # a later part that is not a name: "…, Professor of …"
    if authors:
        return list(dict.fromkeys(authors)), False
    return list(dict.fromkeys(house)), bool(house)


def squeezed(text: str) -> str:
    """Letters and digits only, case folded: "n-tv" and "NTV" compare equal."""
    return _NOT_ALNUM.sub("", text.casefold())


def _is_outlet(name: str, own: set[str]) -> bool:
    letters = squeezed(name)
    if not letters:
        return True
    first = squeezed(name.split()[0])
    return any(
        letters == o
        or (len(o) >= 4 and letters.startswith(o) and len(letters) <= len(o) + 3)  # "…社"
        or (len(first) >= 2 and first == o)  # "n-tv NACHRICHTEN"
        for o in own
    )


# --- where pages put them --------------------------------------------------------------

# Matched against lower-cased class, id and itemprop values: without re.IGNORECASE, whose
# Unicode case rules (s, k and i have look-alikes) make every search ten times slower, and
# these run on every marked element of a page.
_META_CLASS = re.compile(
    r"date|time|publi|posted|updated|modified|byline|author|autor|auteur|writer|reporter"
    r"|journalist|dateline|meta|info|source|credit"
)
_AUTHOR_CLASS = re.compile(r"byline|author|autor|auteur|writer|reporter|journalist")
MAX_SNIPPET_CHARS = 200
MAX_BYLINE_LINE_CHARS = 120
MAX_SNIPPETS = 15
_OTHER_ARTICLES = re.compile(
    r"related|sidebar|most|popular|recommend|teaser|promo|widget|trending|more-|also"
)


def _marks(element: lxml.html.HtmlElement, *attributes: str) -> str:
    """The element's values of ``attributes``, lower-cased, as the patterns above expect."""
    return " ".join(element.get(name) or "" for name in attributes).lower()


MAX_SIBLING_CHARS = 300
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "aside"}
MAX_SNIPPET_CHARS = 200


@dataclass(slots=True)
class VisibleMetadata:
    published: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)


def visible_metadata(tree: lxml.html.HtmlElement, language: str | None) -> VisibleMetadata:
    """Dates and authors shown near the headline or in the page's date/byline elements."""
    # 03/04/2024: March 4 in American English (and on sites that say only "en")
    month_first = _month_first(language)
    found = VisibleMetadata()
    for element, author_like in _snippet_elements(tree):
        if element.tag == "time" and element.get("datetime"):
            _take_date(found, iso_date(element.get("datetime")), element)
        text = element.text_content()
        if len(text) > MAX_SNIPPET_CHARS:
            continue
        for day in find_dates(text, month_first):
            if day.modified:
                found.modified = found.modified or day.value
            elif found.published is None:
                found.published = day.value
        if not found.authors:
            authors = _element_authors(element) if author_like else []
            found.authors = authors or _segment_names(text)
        if found.published and found.authors and found.modified:
            break
    if not found.authors:
        found.authors = _labelled_byline(tree)
    return found


# What separates a title's parts: "Headline | Section | Site | 28.04.2023".
_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|\s*[|｜]\s*")
MAX_DATE_PART_CHARS = 24


def _month_first(language: str | None) -> bool:
    """Whether dates on a page in ``language`` put the month first (03/04/2024 is March 4
    in US English, 3 April elsewhere)."""
    return (language or "").lower().replace("_", "-") in {"en", "en-us"}


def title_date(tree: lxml.html.HtmlElement, language: str | None) -> str | None:
    """The date a page's ``<title>`` gives as one of its parts ("… | DW | 28.04.2023"):
    the page's date. A date inside the headline part ("… de 7 de octubre de 2023…") is
    what the story is about, and is not taken."""
    title = tree.findtext(".//title") or ""
    month_first = _month_first(language)
    for part in _TITLE_PARTS.split(title.strip())[1:]:
        part = part.strip()
        if len(part) <= MAX_DATE_PART_CHARS:
            dates = find_dates(part, month_first)
            if len(dates) == 1 and not dates[0].modified:
                return dates[0].value
    return None


def _labelled_byline(tree: lxml.html.HtmlElement) -> list[str]:
    """Names after a role label in a short line anywhere in the page, outside navigation
    and blocks about other articles: "<strong>Autorin/Autor</strong> Roman Goncharenko" in
    a side list, "(责编：牛镛、岳弘彬)" under the text. Only elements whose own text starts
    with a label are looked at, then the line around them (their parent or grandparent)."""
    body = tree.find(".//body")
    for element in (body if body is not None else tree).iter():
        own = element.text
        # cheap tests first: most elements have no text of their own, or a long one
        if not own or len(own) > MAX_BYLINE_LINE_CHARS or not isinstance(element.tag, str):
            continue
        if own.lstrip(" \t\r\n(（")[:1].lower() not in _ROLE_INITIALS:
            continue
        if element.tag in _SKIP_TAGS or not _ROLE_PREFIX.match(own):
            continue
        line: lxml.html.HtmlElement | None = element
        for _ in range(3):  # the label's element, its parent, its grandparent
            if line is None:
                break
            text = line.text_content()
            if len(text) > MAX_BYLINE_LINE_CHARS:
                break
            names = byline_names(text)
            if names:
                return [] if _inside_skipped(element) else names
            line = line.getparent()
    return []


def _segment_names(text: str) -> list[str]:
    """A byline inside a short line of metadata: "Publié le 12 mars · Par Léa Roux"."""
    if len(text) > MAX_BYLINE_LINE_CHARS:
        return []
    for segment in _BYLINE_END.split(text):
        names = byline_names(segment)
        if names:
            return names
    return []


def _take_date(found: VisibleMetadata, value: str | None, element: lxml.html.HtmlElement) -> None:
    if value is None:
        return
    if _MODIFIED.search(" ".join([element.get("class") or "", element.get("itemprop") or ""])):
        found.modified = found.modified or value
    else:
        found.published = found.published or value


def _element_authors(element: lxml.html.HtmlElement) -> list[str]:
    """Names from author links inside a byline element, else from its text."""
    links = [
        " ".join(a.text_content().split())
        for a in element.iter("a")
        if _AUTHOR_CLASS.search(_marks(a, "class", "rel", "href"))
    ]
    if links:
        return [name for name in links if name and not _NOT_A_NAME.search(name)]
    names = byline_names(element.text_content())
    if names:
        return names
    # one name to an element: <span>Birgit Baumann</span> <span>Anna Giulia Fink</span>
    parts = [" ".join(e.text_content().split()) for e in element.iter() if len(e) == 0]
    parts = [part for part in parts if part]
    if len(parts) > 1 and all(looks_like_name(p) and len(p.split()) > 1 for p in parts):
        return parts
    text = " ".join(element.text_content().split()).strip(" :|")
    if text and len(text.split()) <= MAX_NAME_WORDS and not _NOT_A_NAME.search(text):
        return [text]  # a bare name in an element that says it is the author
    return []


_MARKED = "*[self::time or @class or @id or @itemprop]"
_AFTER_HEADING = lxml.etree.XPath(f"following::{_MARKED}")
_BEFORE_HEADING = lxml.etree.XPath(f"preceding::{_MARKED}")
_ALL_MARKED = lxml.etree.XPath(f".//{_MARKED}")


def _next_element(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The next sibling that is an element (a comment or processing instruction has no
    text content to read)."""
    sibling = element.getnext()
    while sibling is not None and not isinstance(sibling.tag, str):
        sibling = sibling.getnext()
    return sibling


def _is_picture(element: lxml.html.HtmlElement) -> bool:
    """A picture with its caption: a figure, or a block holding an image."""
    if element.tag in ("figure", "picture", "img"):
        return True
    return next(element.iter("img", "picture", "figure", "video"), None) is not None


def _snippet_elements(tree: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, bool]]:
    """Elements that may hold a date or byline: after the headline first, then before it.

    A site header often shows today's date: what follows the ``<h1>`` is the article's.
    """
    body = tree.find(".//body")
    root = body if body is not None else tree
    heading = root.find(".//h1")
    chosen: list[tuple[lxml.html.HtmlElement, bool]] = []
    if heading is not None:
        # The lines right under the headline, whatever their markup ("김민수 기자").
        sibling = _next_element(heading)
        for _ in range(3):
            if sibling is None or len(sibling.text_content()) > MAX_SIBLING_CHARS:
                break  # the body starts: its dates and "Por la tarde" are not metadata
            if _is_picture(sibling):  # a caption's date is the photo's, not the article's
                sibling = _next_element(sibling)
                continue
            chosen += [(e, False) for e in sibling.iter() if isinstance(e.tag, str)]
            menus = [e for e in sibling.iter("ul", "ol") if _is_menu(e)]
            if menus:  # a site's header under a logo <h1>: its menus name no author
                inside = {id(d) for menu in menus for d in menu.iter()}
                chosen = [(e, flag) for e, flag in chosen if id(e) not in inside]
            sibling = _next_element(sibling)
        groups = [_AFTER_HEADING(heading), _BEFORE_HEADING(heading)]
    else:
        groups = [_ALL_MARKED(root)]
    for group in groups:
        taken = 0
        for element in group:
            marks = _marks(element, "class", "id", "itemprop")
            if element.tag != "time" and not _META_CLASS.search(marks):
                continue
            if element.tag in _SKIP_TAGS or _inside_skipped(element):
                continue
            chosen.append((element, bool(_AUTHOR_CLASS.search(marks))))
            taken += 1
            if taken >= MAX_SNIPPETS:
                break
    return chosen


def _inside_skipped(element: lxml.html.HtmlElement) -> bool:
    """Inside navigation, a footer, a menu, or a block about other articles (related,
    most read)."""
    for parent in element.iterancestors():
        if parent.tag in _SKIP_TAGS:
            return True
        marks = _marks(parent, "class", "id")
        if marks.strip() and _OTHER_ARTICLES.search(marks):
            return True
        if parent.tag in ("ul", "ol") and _is_menu(parent):
            return True
    return False


MIN_MENU_LINKS = 6


def _is_menu(listing: lxml.html.HtmlElement) -> bool:
    """A list of links, one to an item, that does not say it lists authors: a site's
    menu ("記者タイムライン", "Autoren" are pages of the site, not this article's byline)."""
    items = [child for child in listing if child.tag == "li"]
    if len(items) < MIN_MENU_LINKS or _AUTHOR_CLASS.search(_marks(listing, "class")):
        return False
    linked = sum(1 for item in items if item.find(".//a") is not None)
    return linked >= MIN_MENU_LINKS and linked >= 0.8 * len(items)
