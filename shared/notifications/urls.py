"""Callback URLs may only reach the public internet (SSRF guard).

A URL is checked twice: when it is registered (its host resolved and every address
checked) and again for the address actually connected to, at every send. The second
check matters: DNS may answer differently later (rebinding), so the sender resolves the
host itself, checks the addresses and connects to the checked one (client.py); TLS still
verifies the certificate and sends SNI for the host name.

IPv6 addresses that carry an IPv4 one reach it (through the host's own stack, a NAT64
translator or a tunnel), so what they carry is judged too: IPv4-mapped (::ffff:0:0/96)
and NAT64 (64:ff9b::/96, what DNS64 answers on IPv6-only hosts) are judged by the IPv4
address; 6to4 (2002::/16), Teredo (2001::/32), IPv4-compatible (::/96), the NAT64
local-use prefix (64:ff9b:1::/48), site-local (fec0::/10) and other reserved IPv6 are
refused outright, as no callback receiver lives there.

Operators can allow private networks (`NOTIFY_ALLOWED_NETWORKS`, comma-separated CIDRs),
e.g. an internal chat server; plain `http` is accepted only for such networks. An IPv4
network opens its addresses and their IPv4-mapped forms (the same socket destination),
not their translated or tunnelled forms; an IPv6 network opens what it contains.
Cloud metadata addresses are refused even then, in any of these forms: nothing legitimate
listens there.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
RESOLVE_SECONDS = 3.0


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why, for the API's 422."""


def parse_networks(raw: str) -> tuple[IPNetwork, ...]:
    """`NOTIFY_ALLOWED_NETWORKS`: "10.0.0.0/8, 127.0.0.1" -> networks (a bare address is /32)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()
    )


def _unmapped(address: IPAddress) -> IPAddress:
    # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# Where RFC 6052 puts the IPv4 address (byte slices, skipping byte 8) for the prefixes the
# local-use /48 can be cut to (/48, /56, /64, /96): its operator chooses, so all are read.
_NAT64_LOCAL_SLICES = ((slice(6, 8), slice(9, 11)), (slice(7, 8), slice(9, 12)),
                       (slice(9, 13),), (slice(12, 16),))  # fmt: skip


def _ipv4_compatible(address: ipaddress.IPv6Address) -> bool:
    # ::/96 less :: and ::1, which are IPv6's own unspecified and loopback addresses.
    return int(address) >> 32 == 0 and int(address) > 1


def _carried(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses a connection to `address` may end up at."""
    packed = address.packed
    if address in NAT64 or _ipv4_compatible(address):
        return (ipaddress.IPv4Address(packed[12:]),)
    if address in NAT64_LOCAL:
        return tuple(
            ipaddress.IPv4Address(b"".join(packed[part] for part in parts))
            for parts in _NAT64_LOCAL_SLICES
        )
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        # (server, client), the client already un-obfuscated: the server relays the
        # qualification, the client's NAT the data, so either may be reached.
        return address.teredo
    return ()


def _never_a_receiver(address: ipaddress.IPv6Address) -> str | None:
    """What `address` is when it is a form no callback receiver uses, whatever it carries.

    6to4 and IPv4-compatible are deprecated (RFC 7526, RFC 4291); Teredo is a client's NAT
    traversal tunnel, not where a server answers; site-local is deprecated (RFC 3879) and
    as private as fc00::/7; the local-use NAT64 prefix (RFC 8215) is not globally reachable,
    and where it holds the IPv4 address cannot be told from the address. Named here, not
    left to `is_global`: before Python 3.11.10 / 3.12.4 that calls most of these global,
    and the venv and the Docker image's Python need not agree.
    """
    if address in NAT64_LOCAL:
        return "a NAT64 local-use address (64:ff9b:1::/48)"
    if address.sixtofour is not None:
        return f"a 6to4 address (deprecated) for {address.sixtofour}"
    if address.teredo is not None:
        server, client = address.teredo
        return f"a Teredo tunnel address (server {server}, client {client})"
    if _ipv4_compatible(address):
        return f"an IPv4-compatible address (deprecated) for {ipaddress.IPv4Address(int(address))}"
    if address.is_site_local:
        return "a site-local address (deprecated)"
    return None


def _not_public(address: IPAddress) -> bool:
    # is_global is False for loopback, private, link-local, shared (CGNAT), reserved IPv4 and
    # documentation ranges; multicast is checked on its own as some of it counts as global,
    # and reserved IPv6 (::/8 and other unassigned blocks) as is_global misses some of it.
    return not address.is_global or address.is_multicast or address.is_reserved


def refusal(address: IPAddress, allowed: Iterable[IPNetwork]) -> str | None:
    """Why `address` may not be called, or None when it may."""
    address = _unmapped(address)
    carried = _carried(address) if isinstance(address, ipaddress.IPv6Address) else ()
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    for inner in carried:
        if inner in METADATA_ADDRESSES:
            return f"{address} carries the cloud metadata address {inner}"
    if any(address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        unused = _never_a_receiver(address)
        if unused is not None:
            return f"{address} is {unused}"
        if address in NAT64:
            # What DNS64 answers for an IPv4-only name on an IPv6-only host: the translator
            # connects to the IPv4 address, so that address is what counts.
            if _not_public(carried[0]):
                return f"{address} reaches {carried[0]} by NAT64, not a public address"
            return None
    if _not_public(address):
        return f"{address} is not a public address (loopback, private, link-local or reserved)"
    return None


def _allowlisted(address: IPAddress, allowed: Iterable[IPNetwork]) -> bool:
    return any(_unmapped(address) in network for network in allowed)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host!r} does not resolve.") from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl(f"The host {host!r} does not resolve.")
    return addresses


async def checked_addresses(host: str, port: int, allowed: Iterable[IPNetwork]) -> list[IPAddress]:
    """The host's addresses, when every one of them may be called; else UnsafeUrl.

    All of them, not just one: a name answering both a public and a private address
    would otherwise reach the private one on some attempt.
    """
    allowed = tuple(allowed)
    addresses = await resolve(host, port)
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            raise UnsafeUrl(f"The URL's host {host!r} is refused: {reason}.")
    return addresses


async def check_url(url: str, allowed: Iterable[IPNetwork]) -> None:
    """Refuse (UnsafeUrl) a URL the sender may not call: wrong scheme or a forbidden host."""
    allowed = tuple(allowed)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise UnsafeUrl("The URL must use https.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials; use the signing secret.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is not a number from 0 to 65535.") from exc
    addresses = await checked_addresses(parts.hostname, port, allowed)
    if parts.scheme == "http" and not all(_allowlisted(a, allowed) for a in addresses):
        # Unencrypted only inside networks the operator vouched for.
        raise UnsafeUrl("The URL must use https (http only for allowlisted networks).")


async def inside_allowed(url: str, allowed: Iterable[IPNetwork]) -> bool:
    """Whether every address of the URL's host lies in the operator's allowlisted networks
    (a private deployment or relay of a chat service, or a test receiver)."""
    allowed = tuple(allowed)
    parts = urlsplit(url)
    if not allowed or not parts.hostname:
        return False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await resolve(parts.hostname, port)
    except (ValueError, UnsafeUrl):
        return False
    return all(_allowlisted(a, allowed) for a in addresses)
