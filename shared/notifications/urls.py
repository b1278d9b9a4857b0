"""Callback URLs may only reach the public internet (SSRF guard).

A URL is checked twice: when it is registered (its host resolved and every address
checked) and again for the address actually connected to, at every send. The second
check matters: DNS may answer differently later (rebinding), so the sender resolves the
host itself, checks the addresses and connects to the checked one; TLS still verifies
the certificate and sends SNI for the host name, as httpcore starts TLS with the URL's
host whatever address the socket reached.

Operators can allow private networks (`NOTIFY_ALLOWED_NETWORKS`, comma-separated CIDRs),
e.g. an internal chat server; plain `http` is accepted only for such networks.
Cloud metadata addresses are refused even then: nothing legitimate listens there.
"""

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit

import httpcore
import httpx

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


def refusal(address: IPAddress, allowed: Iterable[IPNetwork]) -> str | None:
    """Why `address` may not be called, or None when it may."""
    address = _unmapped(address)
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if any(address in network for network in allowed):
        return None
    # is_global is False for loopback, private, link-local, shared (CGNAT), reserved and
    # documentation ranges; multicast is checked on its own as some of it counts as global.
    if not address.is_global or address.is_multicast:
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
            raise UnsafeUrl(f"The URL's host {host!r} resolves to {reason}.")
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


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, and connects to the checked address: the check at connect time."""

    def __init__(self, allowed: Iterable[IPNetwork]) -> None:
        self._allowed = tuple(allowed)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, self._allowed)
        except UnsafeUrl as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not callback targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes a while: once per process.
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on the guarded backend."""

    def __init__(self, allowed: Iterable[IPNetwork], *, max_connections: int = 100) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(allowed),
        )


def guarded_client(allowed: Iterable[IPNetwork], *, timeout: float = 10.0) -> httpx.AsyncClient:
    """The client every callback goes through: SSRF-checked, no redirects, no env proxies."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allowed),
        timeout=httpx.Timeout(timeout, connect=5.0),
        follow_redirects=False,
        trust_env=False,
    )


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]): what one connection pool serves."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


# Requests in flight at once per process, and per receiving origin. More per origin does
# not go faster: httpcore's pool rescans every waiting request on each change, so its cost
# grows with the square of its queue (to one local receiver: 200 at once 92 callbacks/s,
# 32 at once 208/s, 8 at once 536/s).
IN_FLIGHT = 64
PER_ORIGIN = 8


class CallbackClients:
    """One guarded client per origin (scheme, host, port), made on first use, and the
    gates that bound the requests in flight, shared by every send in the process.

    Not one shared client: a pool per receiver keeps each pool's queue short, and a slow
    receiver holds at most PER_ORIGIN slots while it times out, costing others nothing.
    """

    def __init__(
        self,
        allowed: Iterable[IPNetwork],
        *,
        timeout: float = 10.0,
        in_flight: int = IN_FLIGHT,
        per_origin: int = PER_ORIGIN,
    ) -> None:
        self.allowed = tuple(allowed)
        self._timeout = timeout
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._total = asyncio.Semaphore(in_flight)
        self._per_origin = per_origin
        self._gates: dict[tuple[str, str], asyncio.Semaphore] = {}

    async def slot(self, url: str, *, wait: float) -> contextlib.AsyncExitStack:
        """A slot for `url`'s origin and one in all, held until the returned stack
        closes; TimeoutError when none came within `wait` seconds."""
        key = origin(url)
        per_origin = self._gates.get(key)
        if per_origin is None:
            per_origin = self._gates[key] = asyncio.Semaphore(self._per_origin)
        held = contextlib.AsyncExitStack()
        try:
            async with asyncio.timeout(wait):
                await per_origin.acquire()
                held.callback(per_origin.release)
                await self._total.acquire()
                held.callback(self._total.release)
        except BaseException:
            await held.aclose()
            raise
        return held

    def for_url(self, url: str) -> httpx.AsyncClient:
        key = origin(url)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = guarded_client(self.allowed, timeout=self._timeout)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
