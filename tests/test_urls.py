from __future__ import annotations

from newscorpus.urls import normalize_url, url_domain


def test_normalize_url_strips_tracking_fragment_and_default_port() -> None:
    url = "HTTPS://WWW.Example.org:443/news/a%7eb?utm_source=x&b=2&fbclid=1&a=1#comments"
    assert normalize_url(url) == "https://www.example.org/news/a~b?a=1&b=2"


def test_normalize_url_keeps_meaningful_query_and_port() -> None:
    assert normalize_url("http://127.0.0.1:8080/?id=5") == "http://127.0.0.1:8080/?id=5"


def test_url_domain() -> None:
    assert url_domain("https://www.LeMonde.fr/x") == "lemonde.fr"
    assert url_domain("http://127.0.0.2:9000/") == "127.0.0.2"


def test_percent_encoding_is_normalised_without_merging_different_urls() -> None:
    cases = {
        "http://a.test/a%2Fb": "http://a.test/a%2Fb",  # an escaped slash is not a slash
        "http://a.test/100%-sure": "http://a.test/100%25-sure",
        "http://a.test/a%2541": "http://a.test/a%2541",
        "http://a.test/caf%e9": "http://a.test/caf%E9",
        "http://a.test/%7Euser/%41": "http://a.test/~user/A",
        "http://a.test/über uns?q=é": "http://a.test/%C3%BCber%20uns?q=%C3%A9",
        "http://a.test/story?sid=7": "http://a.test/story?sid=7",  # sid is often a story id
    }
    for url, expected in cases.items():
        assert normalize_url(url) == expected
        assert normalize_url(expected) == expected
    assert normalize_url("http://a.test/caf%E9") != normalize_url("http://a.test/caf%E8")
