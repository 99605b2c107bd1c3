from __future__ import annotations

from pathlib import Path

import pytest

from newscorpus.crawl.sources import load_sources
from newscorpus.errors import UserError

GOOD = """
[[source]]
name = "Courier"
start_urls = ["https://courier.example/"]
feeds = ["https://courier.example/rss.xml"]
language = "FR"
include = ["/20\\\\d\\\\d/"]
exclude = ["/live/"]
max_pages = 50

[[source]]
start_urls = ["https://wire.example/news/"]
"""


def test_a_good_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    courier, wire = load_sources(path)
    assert courier.name == "Courier" and courier.language == "fr" and courier.max_pages == 50
    assert courier.feeds == ["https://courier.example/rss.xml"]
    assert courier.wants_article("https://courier.example/2026/03/x")
    assert not courier.wants_article("https://courier.example/about")
    assert not courier.allows("https://courier.example/live/blog")
    assert wire.name == "wire.example" and wire.site_keys == {"wire.example:443"}


def test_sites_are_told_apart_by_port_and_idna() -> None:
    from newscorpus.crawl.sources import site_key

    assert site_key("http://bücher.example/a") == site_key("http://xn--bcher-kva.example/b")
    assert site_key("http://www.a.example/") == site_key("http://a.example:80/x")
    assert site_key("http://a.example:8080/") != site_key("http://a.example:9999/")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ('[[source]]\nname = "a"\nstart_urls = "https://a.example/"\n', 3, "start_urls"),
        (
            '[[source]]\nstart_urls = ["https://a.example/"]\n\n[[source]]\nstart_urls = '
            '["ftp://b.example/"]\n',
            5,
            "start_urls",
        ),
        ('[[source]]\nstart_urls = ["https://a.example/"]\nexclude = ["("]\n', 3, "exclude"),
        ('[[source]]\nstart_urls = ["https://a.example/"]\nmax_pages = -1\n', 3, "max_pages"),
        ('[[source]]\nstart_urls = ["https://a.example/"]\nmax_page = 5\n', 3, "max_page"),
        ('[[source]]\nname = "only a name"\n', 1, "start_urls"),
    ],
)
def test_mistakes_name_the_line_and_the_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(UserError) as error:
        load_sources(path)
    message = str(error.value)
    assert f"line {line}" in message and f"'{field}'" in message and "sources.toml" in message


def test_toml_syntax_errors_carry_their_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nstart_urls = ["https://a.example/"]]\nname = "x"\n')
    with pytest.raises(UserError, match="line 2"):
        load_sources(path)
