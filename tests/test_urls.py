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
