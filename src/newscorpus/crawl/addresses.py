"""Which addresses the crawler may connect to: public ones, and the non-public ones the
user allowed (``--allow-private``). Pure: no scrapy, no sockets.

A bare ``--allow-private`` (the word ``private``) allows loopback and the private ranges,
what a local test site needs. Link-local addresses and cloud metadata endpoints are
never implied, by it or by a wider network (``0.0.0.0/0``): a site that redirects the
crawler there must not reach them unless the user named them (``--allow-private
169.254.169.254``, or a network inside 169.254.0.0/16 for link-local).

An allowed address or network may name one port (``127.0.0.1:8080``, ``[::1]:8080``,
``10.0.0.0/8:443``): then only that port of it is allowed, so a local site cannot send the
crawler to the other services of its machine.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from newscorpus.errors import UserError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE = "private"  # the word for LOCAL_NETWORKS on the command line
LOCAL_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # shared address space (carrier NAT, Kubernetes, VPNs)
        "::1/128",
        "fc00::/7",
    )
)
LINK_LOCAL: tuple[Network, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
# Cloud metadata endpoints, each allowed only when named itself: AWS, GCP, Azure,
# OpenStack (169.254.169.254), AWS ECS (169.254.170.2), AWS over IPv6, Alibaba Cloud,
# Azure's wire server (a public address, meaningless outside Azure).
METADATA: tuple[Network, ...] = tuple(
    ipaddress.ip_network(address)
    for address in (
        "169.254.169.254",
        "169.254.170.2",
        "fd00:ec2::254",
        "100.100.100.200",
        "168.63.129.16",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: an IPv4 address inside


@dataclass(frozen=True, slots=True)
class Allowed:
    """A network the crawl may reach, on every port or on ``port`` only."""

    network: Network
    port: int | None = None

    def admits(self, ip: Address, port: int | None) -> bool:
        return ip in self.network and (self.port is None or self.port == port)

    def __str__(self) -> str:  # the form ``allowed_networks`` reads back
        if self.port is None:
            return str(self.network)
        network = str(self.network)
        if self.network.num_addresses == 1:
            network = str(self.network.network_address)
        return f"[{network}]:{self.port}" if self.network.version == 6 else f"{network}:{self.port}"


@dataclass(frozen=True, slots=True)
class Refusal:
    why: str  # "private_address" or "link_local_address": a key of the crawl's counts
    detail: str  # in a few words, for the log and the crawl's result


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses, plus ``allowed``; link-local and metadata only when named."""

    allowed: tuple[Allowed, ...] = ()

    def __post_init__(self) -> None:
        # networks alone (ip_network values) stand for every port of them
        object.__setattr__(self, "allowed", allowed_networks(self.allowed))

    def refusal(self, address: str, port: int | None = None) -> Refusal | None:
        """Why the crawler must not connect to ``address`` on ``port``, or None if it may.
        (An allowance limited to a port admits no unknown port.)"""
        try:
            ip = normalized(address)
        except ValueError:  # not an IP address: nothing to judge it by
            return Refusal("private_address", f"{address!r} is not an IP address")
        guard = _guard(ip)
        if guard is not None:
            return self._guarded_refusal(address, ip, port, guard)
        if (ip.is_global and not ip.is_multicast) or any(a.admits(ip, port) for a in self.allowed):
            return None
        return self._private_refusal(address, ip, port)

    def _guarded_refusal(
        self, address: str, ip: Address, port: int | None, guard: Network
    ) -> Refusal | None:
        """``refusal`` for a link-local or metadata address: only one named gets through."""
        if any(_names(a.network, ip, guard) and a.admits(ip, port) for a in self.allowed):
            return None
        what = "a cloud metadata address" if guard in METADATA else "link-local"
        return Refusal(
            "link_local_address",
            f"{address} is {what}: allowed only when named (--allow-private {ip})",
        )

    def _private_refusal(self, address: str, ip: Address, port: int | None) -> Refusal:
        """``refusal`` for a non-public address that no allowance admits: why, precisely."""
        if any(ip in a.network for a in self.allowed):
            return Refusal(
                "private_address",
                f"{_where(address, port)} is not public, nor a port --allow-private names",
            )
        if self.allowed:
            return Refusal("private_address", f"{address} is not public, nor in --allow-private")
        return Refusal(
            "private_address",
            f"{address} is not a public address (--allow-private for local sites)",
        )


def _where(address: str, port: int | None) -> str:
    if port is None:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def normalized(address: str) -> Address:
    """``address`` without a zone (``%eth0``), IPv4 when it is an IPv4 address written as
    IPv6 (``::ffff:a.b.c.d``, NAT64's ``64:ff9b::a.b.c.d``): judged as what it reaches."""
    ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _guard(ip: Address) -> Network | None:
    """The narrowest range ``ip`` belongs to that must be named to be reached."""
    for network in (*METADATA, *LINK_LOCAL):
        if ip in network:
            return network
    return None


def _names(network: Network, ip: Address, guard: Network) -> bool:
    """Whether ``network`` names ``ip``: holds it and lies within its guarded range (so
    0.0.0.0/0 or fc00::/7 never stand for a metadata address)."""
    return ip in network and network.network_address in guard and network[-1] in guard


def allowed_networks(value: bool | Iterable[str | Network | Allowed]) -> tuple[Allowed, ...]:
    """What ``--allow-private`` values allow: addresses and networks (CIDR), each with a
    port or not, and the word ``private``, repeated or comma-separated; True is
    ``private``, False nothing.

    A value that is none of these is a UserError in one line."""
    if isinstance(value, bool):
        return tuple(Allowed(network) for network in LOCAL_NETWORKS) if value else ()
    if isinstance(value, str):
        value = [value]
    allowed: list[Allowed] = []
    for item in value:
        if isinstance(item, Allowed):
            allowed.append(item)
            continue
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            allowed.append(Allowed(item))
            continue
        if not isinstance(item, str):
            raise UserError(f"--allow-private {item!r}: expected an address or network")
        parts = [part.strip() for part in item.split(",")]
        for part in [part for part in parts if part] or [""]:  # "a,b," is a and b
            allowed.extend(_parse(part, item))
    return tuple(dict.fromkeys(allowed))  # in order, once


# an address or network and a port: 127.0.0.1:80, 10.0.0.0/8:80, [::1]:80, [fd00::/8]:80
_WITH_PORT = re.compile(r"\[(?P<v6>[^\]]+)\]:(?P<p6>\d+)|(?P<v4>[\d./]+):(?P<p4>\d+)")


def _parse(text: str, whole: str) -> tuple[Allowed, ...]:
    if text.lower() == PRIVATE:
        return allowed_networks(True)
    hint = "such as 127.0.0.1, 127.0.0.1:8080, 10.0.0.0/8, ::1, [::1]:8080 or the word private"
    if "://" in text:  # a seed taken for this option's value
        hint = "a seed URL goes before --allow-private, or write --allow-private=private"
    network, port = text, None
    with_port = _WITH_PORT.fullmatch(text)
    if with_port:
        network = with_port["v6"] or with_port["v4"]
        port = int(with_port["p6"] or with_port["p4"])
    try:
        if not network or (port is not None and not 0 < port < 65536):
            raise ValueError
        parsed = ipaddress.ip_network(network.removeprefix("[").replace("]", ""), strict=False)
    except ValueError:
        raise UserError(
            f"--allow-private {whole!r}: not an IP address or network ({hint})"
        ) from None
    return (Allowed(parsed, port),)
