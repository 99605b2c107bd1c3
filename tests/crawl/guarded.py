"""``python -m tests.crawl.guarded LOG -- newscorpus arguments``: the command line, with
every outgoing connection written to LOG (``host port`` lines, before it is made;
twisted's non-blocking connect calls connect twice) and refused unless it goes to
loopback, so that a crawl under test can never reach anything else, however wrong the
code under test.

``NEWSCORPUS_TEST_HOSTS="name=first;then"`` answers look-ups of ``name`` as a DNS server
changing its mind would: with the comma-separated addresses of ``first`` the first time,
of ``then`` every time after (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Any


def _guard(log_path: str) -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event != "socket.connect":
            return
        address = args[1]
        if not isinstance(address, tuple):  # a Unix socket
            return
        host, port = str(address[0]), address[1]
        with open(log_path, "a") as log:
            log.write(f"{host} {port}\n")
        if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
            raise PermissionError(f"test guard: no connection to {host} from a test")

    sys.addaudithook(hook)


def _fake_hosts(spec: str) -> None:
    name, _, answers = spec.partition("=")
    first, _, then = answers.partition(";")
    calls = {"n": 0}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        calls["n"] += 1
        addresses = (first if calls["n"] == 1 else then).split(",")
        port_number = int(port or 0)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port_number))
            for a in addresses
        ]

    # before twisted is imported: its resolver binds getaddrinfo as a default argument
    socket.getaddrinfo = getaddrinfo


def main() -> None:
    log_path, separator, *arguments = sys.argv[1:]
    assert separator == "--"
    _guard(log_path)
    if os.environ.get("NEWSCORPUS_TEST_HOSTS"):
        _fake_hosts(os.environ["NEWSCORPUS_TEST_HOSTS"])
    sys.argv = ["newscorpus", *arguments]
    from newscorpus.cli import main as newscorpus

    newscorpus()


if __name__ == "__main__":
    main()
