"""Which addresses the crawler may connect to: public ones, and the non-public ones the
user allowed (``--allow-private``). Pure: no scrapy, no sockets.

A bare ``--allow-private`` (the word ``private``) allows loopback and the private ranges,
what a local test site needs. Link-local addresses and cloud metadata endpoints are
never implied, by it or by a wider network (``0.0.0.0/0``): a site that redirects the
crawler there must not reach them unless the user named them (``--allow-private
169.254.169.254``, or a network inside 169.254.0.0/16 for link-local).
"""

from __future__ import annotations

import ipaddress
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
class Refusal:
    why: str  # "private_address" or "link_local_address": a key of the crawl's counts
    detail: str  # in a few words, for the log and the crawl's result


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses, plus ``allowed``; link-local and metadata only when named."""

    allowed: tuple[Network, ...] = ()

    def refusal(self, address: str) -> Refusal | None:
        """Why the crawler must not connect to ``address``, or None if it may."""
        try:
            ip = normalized(address)
        except ValueError:  # not an IP address: nothing to judge it by
            return Refusal("private_address", f"{address!r} is not an IP address")
        guard = _guard(ip)
        if guard is not None:
            if any(_names(network, ip, guard) for network in self.allowed):
                return None
            what = "a cloud metadata address" if guard in METADATA else "link-local"
            return Refusal(
                "link_local_address",
                f"{address} is {what}: allowed only when named (--allow-private {ip})",
            )
        if (ip.is_global and not ip.is_multicast) or any(ip in n for n in self.allowed):
            return None
        if self.allowed:
            return Refusal("private_address", f"{address} is not public, nor in --allow-private")
        return Refusal(
            "private_address",
            f"{address} is not a public address (--allow-private for local sites)",
        )


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


def allowed_networks(value: bool | Iterable[str | Network]) -> tuple[Network, ...]:
    """The networks ``--allow-private`` values name: addresses, networks (CIDR) and the
    word ``private``, repeated or comma-separated; True is ``private``, False nothing.

    A value that is none of these is a UserError in one line."""
    if isinstance(value, bool):
        return LOCAL_NETWORKS if value else ()
    if isinstance(value, str):
        value = [value]
    networks: list[Network] = []
    for item in value:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            networks.append(item)
            continue
        if not isinstance(item, str):
            raise UserError(f"--allow-private {item!r}: expected an address or network")
        parts = [part.strip() for part in item.split(",")]
        for part in [part for part in parts if part] or [""]:  # "a,b," is a and b
            networks.extend(_parse(part, item))
    return tuple(dict.fromkeys(networks))  # in order, once


def _parse(text: str, whole: str) -> tuple[Network, ...]:
    if text.lower() == PRIVATE:
        return LOCAL_NETWORKS
    hint = "such as 127.0.0.1, 10.0.0.0/8, ::1 or the word private"
    if "://" in text:  # a seed taken for this option's value
        hint = "a seed URL goes before --allow-private, or write --allow-private=private"
    try:
        if not text:
            raise ValueError
        return (ipaddress.ip_network(text.removeprefix("[").replace("]", ""), strict=False),)
    except ValueError:
        raise UserError(
            f"--allow-private {whole!r}: not an IP address or network ({hint})"
        ) from None
