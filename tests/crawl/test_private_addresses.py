"""--allow-private: which non-public addresses a crawl may reach, checked before a request
leaves and on the connection itself. Real crawls (scrapy in a subprocess, guarded: it
can connect to loopback only, and every connection it attempts is logged) of real HTTP
servers on 127.0.0.1 and 127.0.0.2."""

from __future__ import annotations

import ipaddress
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscorpus.crawl.addresses import (
    LOCAL_NETWORKS,
    AddressPolicy,
    Allowed,
    allowed_networks,
)
from newscorpus.crawl.runner import CrawlOptions
from newscorpus.errors import UserError
from tests.crawl.site import LocalNewsSite, article_html

REPO = Path(__file__).resolve().parents[2]
STORY = "/2026/03/01/the-story-at-another-address.html"
MOVED = "/2026/03/01/a-story-that-moved-away.html"


@pytest.fixture
def other() -> Iterator[LocalNewsSite]:
    """A second site on another loopback address (Linux routes all of 127/8 to lo)."""
    try:
        second = LocalNewsSite().start("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    yield second
    second.stop()


def guarded_crawl(
    seeds: list[str], run_dir: Path, *options: str, hosts: str | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``newscorpus crawl`` that can reach loopback only, and the addresses it tried to
    connect to (``host port``), in order. Unlike ``tests.conftest.crawl``, no
    --allow-private unless given."""
    log = run_dir.parent / f"{run_dir.name}-connections.log"
    env = {**os.environ, "COLUMNS": "500"}  # a log line is one line
    if hosts is not None:
        env["NEWSCORPUS_TEST_HOSTS"] = hosts
    command = [
        sys.executable, "-m", "tests.crawl.guarded", str(log), "--",
        "crawl", *seeds, "--out", str(run_dir), "--delay", "0", "--timeout", "10", *options,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    connections = log.read_text().splitlines() if log.exists() else []
    return result, connections


def stats(run_dir: Path) -> dict:
    return json.loads((run_dir / "crawl-stats.json").read_text())


def url_statuses(run_dir: Path) -> dict[str, str]:
    with sqlite3.connect(run_dir / "crawl-state.sqlite") as db:
        return dict(db.execute("SELECT url, status FROM urls").fetchall())


def _redirect_to(site: LocalNewsSite, location: str) -> None:
    site.routes[MOVED] = lambda r: (301, {"Location": location}, b"")
    site.page("/", f'<html><body><a href="{MOVED}">a story</a></body></html>')


def test_allow_private_allows_the_addresses_named_and_no_other(
    site: LocalNewsSite, other: LocalNewsSite, tmp_path: Path
) -> None:
    other.page(STORY, article_html("elsewhere"))
    _redirect_to(site, f"{other.base}{STORY}")

    # only the site's own address: the redirect to another loopback address is refused,
    # before any connection to it, and counted as a refusal (not an error)
    run_dir = tmp_path / "one-address"
    result, connections = guarded_crawl([f"{site.base}/"], run_dir, "--allow-private", "127.0.0.1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert other.log == []
    assert connections and all(c.startswith("127.0.0.1 ") for c in connections), connections
    summary = stats(run_dir)
    assert summary["per_host"]["127.0.0.2"] == {"refused_private_address": 1}
    assert summary["errors"] == 0
    assert summary["scrapy"]["newscorpus/refused/private_address"] == 1
    assert url_statuses(run_dir)[f"{other.base}{STORY}"] == "refused"
    assert "127.0.0.2 is not public, nor in --allow-private" in result.stderr

    # the whole loopback network: the redirect is followed
    run_dir = tmp_path / "loopback-network"
    result, connections = guarded_crawl(
        [f"{site.base}/"], run_dir, "--allow-private", "127.0.0.0/8"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert other.requested(STORY) == [STORY]
    assert any(c.startswith("127.0.0.2 ") for c in connections)
    assert "refused_private_address" not in stats(run_dir)["per_host"]["127.0.0.2"]

    # repeated and comma-separated, the same
    other.log.clear()
    run_dir = tmp_path / "both-addresses"
    result, _ = guarded_crawl(
        [f"{site.base}/"], run_dir, "--allow-private", "127.0.0.1", "--allow-private=::1,127.0.0.2"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert other.requested(STORY) == [STORY]


def test_an_address_with_a_port_allows_that_port_only(site: LocalNewsSite, tmp_path: Path) -> None:
    """--allow-private 127.0.0.1:PORT: the site, and not another service on its machine."""
    service = LocalNewsSite().start()  # the same address, another port
    try:
        service.page(STORY, article_html("a service beside the site"))
        _redirect_to(site, f"{service.base}{STORY}")
        port = site.server.server_address[1] if site.server else 0
        run_dir = tmp_path / "port"
        result, connections = guarded_crawl(
            [f"{site.base}/"], run_dir, "--allow-private", f"127.0.0.1:{port}"
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert service.log == [] and site.requested(MOVED) == [MOVED]
        assert connections and all(c == f"127.0.0.1 {port}" for c in connections), connections
        summary = stats(run_dir)
        assert summary["scrapy"]["newscorpus/refused/private_address"] == 1
        assert summary["errors"] == 0
        assert url_statuses(run_dir)[f"{service.base}{STORY}"] == "refused"
        assert "nor a port --allow-private names" in result.stderr

        # both ports named: the redirect is followed
        other_port = service.server.server_address[1] if service.server else 0
        run_dir = tmp_path / "both-ports"
        result, _ = guarded_crawl(
            [f"{site.base}/"], run_dir, f"--allow-private=127.0.0.1:{port},127.0.0.1:{other_port}"
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert service.requested(STORY) == [STORY]
    finally:
        service.stop()


def test_a_redirect_to_the_metadata_address_is_refused_before_any_connection(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    _redirect_to(site, metadata)
    run_dir = tmp_path / "run"
    # a bare --allow-private (loopback and private ranges) does not reach link-local
    result, connections = guarded_crawl([f"{site.base}/"], run_dir, "--allow-private")
    assert result.returncode == 0, result.stderr[-3000:]
    # every connection attempted went to the site: none to 169.254.169.254, none at all
    # beyond it (the guard refuses them, but none was even tried)
    assert connections and all(c.startswith("127.0.0.1 ") for c in connections), connections
    summary = stats(run_dir)
    assert summary["requests"] == len(site.log)  # every request that left reached the site
    assert summary["per_host"]["169.254.169.254"] == {"refused_link_local_address": 1}
    assert summary["scrapy"]["newscorpus/refused/link_local_address"] == 1
    assert summary["errors"] == 0
    statuses = url_statuses(run_dir)
    assert statuses[metadata] == statuses[f"{site.base}{MOVED}"] == "refused"
    assert "169.254.169.254 is a cloud metadata address" in result.stderr


def test_the_address_connected_to_is_checked_not_only_the_look_up(tmp_path: Path) -> None:
    """A name that resolves to an allowed address when the request is checked, and to
    another one when the crawler connects (DNS rebinding): the connection is refused on
    the address it reached, before a byte is sent on it."""
    site = LocalNewsSite().start()
    port = site.server.server_address[1] if site.server else 0
    try:
        other = LocalNewsSite().start("127.0.0.2", port)  # the same port, another address
    except OSError:
        site.stop()
        pytest.skip("127.0.0.2 cannot be bound here")
    try:
        for server in (site, other):
            server.page("/", '<a href="/2026/03/01/a-story-here-to-fetch.html">x</a>')
            server.page("/2026/03/01/a-story-here-to-fetch.html", article_html("story"))
        run_dir = tmp_path / "run"
        result, connections = guarded_crawl(
            [f"http://rebind.test:{port}/"],
            run_dir,
            "--allow-private",
            "127.0.0.1",
            hosts="rebind.test=127.0.0.1;127.0.0.2",
        )
    finally:
        site.stop()
        other.stop()
    assert f"127.0.0.2 {port}" in connections  # connected to, then refused:
    assert other.log == [] and site.log == []  # no request sent (robots.txt included)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "nothing crawled" in result.stderr and "127.0.0.2 is not public" in result.stderr
    summary = stats(run_dir)
    assert summary["per_host"]["rebind.test"] == {"refused_private_address": 1}
    assert summary["scrapy"]["newscorpus/refused/private_address"] >= 1
    assert summary["errors"] == 0


def test_allow_private_values() -> None:
    def net(text: str, port: int | None = None) -> Allowed:
        return Allowed(ipaddress.ip_network(text), port)

    local = tuple(Allowed(network) for network in LOCAL_NETWORKS)
    assert allowed_networks(False) == () and allowed_networks(True) == local
    assert allowed_networks(["private"]) == local
    assert allowed_networks(["127.0.0.1", "10.0.0.0/8,[::1], fd00::/8,"]) == (
        net("127.0.0.1/32"),
        net("10.0.0.0/8"),
        net("::1/128"),
        net("fd00::/8"),
    )
    assert allowed_networks(["192.168.1.7/24"]) == (net("192.168.1.0/24"),)
    with_ports = ["127.0.0.1:8080", "10.0.0.0/8:443", "[::1]:8080", "[fd00::/8]:80", "[::2]"]
    assert allowed_networks(with_ports) == (
        net("127.0.0.1/32", 8080),
        net("10.0.0.0/8", 443),
        net("::1/128", 8080),
        net("fd00::/8", 80),
        net("::2/128"),
    )
    # written as settings for the crawl process, read back the same
    assert allowed_networks([str(a) for a in allowed_networks(with_ports)]) == allowed_networks(
        with_ports
    )
    for bad, says in [
        ("127.0.0.1:0", "not an IP address or network"),
        ("127.0.0.1:65536", "not an IP address or network"),
        ("127.0.0.1:http", "not an IP address or network"),
        ("::1:8080:", "not an IP address or network"),
        ("300.1.1.1", "not an IP address or network"),
        ("localhost", "not an IP address or network"),
        ("10.0.0.0/33", "not an IP address or network"),
        ("", "not an IP address or network"),
        ("http://127.0.0.1:8000/", "a seed URL goes before --allow-private"),
    ]:
        with pytest.raises(UserError, match=r"^--allow-private ") as raised:
            allowed_networks([bad])
        assert says in str(raised.value) and "\n" not in str(raised.value)
    options = CrawlOptions(allow_private=True)
    options.check()
    assert options.allow_private == local
    with pytest.raises(UserError, match=r"300\.1\.1\.1"):
        CrawlOptions(allow_private=("300.1.1.1",)).check()  # type: ignore[arg-type]


def test_which_addresses_a_policy_refuses() -> None:
    public_only = AddressPolicy()
    assert public_only.refusal("93.184.216.34") is None
    for address in ("127.0.0.1", "10.1.2.3", "::1", "0.0.0.0", "fd12::1", "100.64.0.1"):
        refusal = public_only.refusal(address)
        assert refusal is not None and refusal.why == "private_address", address

    local = AddressPolicy(allowed_networks(True))  # a bare --allow-private
    for address in ("127.0.0.1", "127.0.0.2", "10.1.2.3", "192.168.0.9", "::1", "fd12::1"):
        assert local.refusal(address) is None, address
    never_implied = (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack metadata
        "169.254.1.1",  # link-local
        "fe80::1%eth0",
        "fd00:ec2::254",  # AWS metadata over IPv6, inside fc00::/7
        "100.100.100.200",  # Alibaba Cloud metadata, inside 100.64.0.0/10
        "168.63.129.16",  # Azure's wire server: a public address
        "::ffff:169.254.169.254",  # IPv4 written as IPv6
        "64:ff9b::a9fe:a9fe",  # ... or through NAT64
    )
    for policy in (public_only, local, AddressPolicy(allowed_networks(["0.0.0.0/0", "::/0"]))):
        for address in never_implied:
            refusal = policy.refusal(address)
            assert refusal is not None and refusal.why == "link_local_address", address
    named = AddressPolicy(allowed_networks(["169.254.169.254", "fe80::/10"]))
    assert named.refusal("169.254.169.254") is None and named.refusal("fe80::1") is None
    assert named.refusal("169.254.1.1") is not None  # named: that address, not its range

    ports = AddressPolicy(allowed_networks(["127.0.0.1:8080", "[::1]:80", "169.254.169.254:80"]))
    assert ports.refusal("127.0.0.1", 8080) is None and ports.refusal("::1", 80) is None
    assert ports.refusal("169.254.169.254", 80) is None
    for address, port in [("127.0.0.1", 8081), ("127.0.0.1", None), ("::1", 8080),
                          ("169.254.169.254", 8080), ("127.0.0.2", 8080)]:  # fmt: skip
        refused = ports.refusal(address, port)
        assert refused is not None, (address, port)
    refused = ports.refusal("127.0.0.1", 22)
    assert refused is not None and refused.detail.startswith("127.0.0.1:22 is not public")
    assert AddressPolicy().refusal("93.184.216.34", 22) is None  # public: every port
