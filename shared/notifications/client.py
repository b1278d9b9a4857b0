"""The HTTP client every callback goes through: aiohttp, with the SSRF guard where it connects.

Two checks, both at connect time (see urls.py for what is refused and why):

- the resolver resolves the host, refuses the name when ANY of its addresses may not be
  called, and hands the connector only those checked addresses, so the socket goes to an
  address that was checked (no second lookup a rebinding DNS could answer differently);
- the socket factory checks the one address about to be dialled. It is the only check an
  IP literal gets (aiohttp does not ask the resolver about those) and catches anything
  that would reach the connector past the resolver.

TLS keeps verifying the certificate and sends SNI for the URL's host name: aiohttp starts
TLS with `server_hostname` = the URL's host whatever address the socket reached.
Redirects are never followed (`allow_redirects=False` at each call), no proxy or netrc is
read from the environment, and the answer is read only so far (the sender's limits).
"""

import asyncio
import contextlib
import errno
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterable
from functools import cache
from urllib.parse import urlsplit

import aiohttp
import certifi
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult

from shared.notifications import urls

# Requests in flight at once per process, and per receiving origin: a slow receiver holds
# at most PER_ORIGIN slots while it times out, costing the other receivers nothing.
IN_FLIGHT = 64
PER_ORIGIN = 8
CONNECT_SECONDS = 5.0
DNS_CACHE_SECONDS = 10  # checked answers only: what the resolver returned, not raw DNS


class RefusedAddress(OSError):
    """An address the callback may not reach; aiohttp reports it as a connection error,
    quoting the strerror, hence the errno (the guard's, not the network's, "permission denied")."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EACCES, reason)


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` (the system's resolver unless given) and returns only checked
    addresses, each carrying the host name (for TLS), or refuses the name outright."""

    def __init__(
        self, allowed: Iterable[urls.IPNetwork], *, inner: AbstractResolver | None = None
    ) -> None:
        self._allowed = tuple(allowed)
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            async with asyncio.timeout(urls.RESOLVE_SECONDS):
                answers = await self._inner.resolve(host, port, family)
        except TimeoutError as exc:
            raise RefusedAddress(f"The host {host!r} does not resolve in time.") from exc
        if not answers:
            raise RefusedAddress(f"The host {host!r} does not resolve.")
        for answer in answers:
            # All of them, not just one: a name answering a public and a private address
            # would otherwise reach the private one on some attempt.
            reason = urls.refusal(_address(answer["host"]), self._allowed)
            if reason is not None:
                raise RefusedAddress(f"The URL's host {host!r} is refused: {reason}.")
        return [answer | {"hostname": host} for answer in answers]

    async def close(self) -> None:
        await self._inner.close()


def _address(host: str) -> urls.IPAddress:
    return ipaddress.ip_address(host.split("%", 1)[0])  # fe80::1%eth0: the scope is not asked


def guarded_socket(
    allowed: Iterable[urls.IPNetwork],
) -> Callable[[AddrInfoType], socket.socket]:
    """aiohappyeyeballs' socket factory: refuses the address being dialled before any
    socket exists for it."""
    allowed = tuple(allowed)

    def create(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        reason = urls.refusal(_address(str(sockaddr[0])), allowed)
        if reason is not None:
            raise RefusedAddress(f"The URL's host is refused: {reason}.")
        return socket.socket(family=family, type=kind, proto=proto)

    return create


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes a while: once per process. Verification stays on.
    return ssl.create_default_context(cafile=certifi.where())


def guarded_session(
    allowed: Iterable[urls.IPNetwork],
    *,
    timeout: float = 10.0,
    in_flight: int = IN_FLIGHT,
    per_origin: int = PER_ORIGIN,
    resolver: AbstractResolver | None = None,
) -> aiohttp.ClientSession:
    """A session whose every connection passes the guard; call inside the event loop."""
    allowed = tuple(allowed)
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allowed, inner=resolver),
        socket_factory=guarded_socket(allowed),
        ssl=_ssl_context(),
        limit=in_flight,
        limit_per_host=per_origin,
        ttl_dns_cache=DNS_CACHE_SECONDS,
        keepalive_timeout=30.0,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=None, connect=CONNECT_SECONDS, sock_connect=CONNECT_SECONDS, sock_read=timeout
        ),
        trust_env=False,
        auto_decompress=False,  # answers are read raw and capped: no decompression bombs
        raise_for_status=False,
        cookie_jar=aiohttp.DummyCookieJar(),  # receivers' cookies reach no other receiver
    )


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]): what one per-receiver gate serves."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class CallbackClients:
    """The guarded session shared by every send in the process, made on first use, and the
    gates bounding the requests in flight, in all and per receiving origin.

    The gates, not only the connector's limits: a delivery that finds its receiver's slots
    busy for too long is handed back unsent (see sender.GATE_WAIT_SECONDS) rather than
    queueing in the pool past its lease.
    """

    def __init__(
        self,
        allowed: Iterable[urls.IPNetwork],
        *,
        timeout: float = 10.0,
        in_flight: int = IN_FLIGHT,
        per_origin: int = PER_ORIGIN,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.allowed = tuple(allowed)
        self._timeout = timeout
        self._in_flight = in_flight
        self._per_origin = per_origin
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._total = asyncio.Semaphore(in_flight)
        self._gates: dict[tuple[str, str], asyncio.Semaphore] = {}

    async def slot(self, url: str, *, wait: float) -> contextlib.AsyncExitStack:
        """A slot for `url`'s origin and one in all, held until the returned stack
        closes; TimeoutError when none came within `wait` seconds."""
        key = origin(url)
        per_origin = self._gates.get(key)
        if per_origin is None:
            per_origin = self._gates[key] = asyncio.Semaphore(self._per_origin)
        held = contextlib.AsyncExitStack()
        if not per_origin.locked() and not self._total.locked():
            # Both free: taken at once, without arming a timeout (most sends, and cheaper).
            await per_origin.acquire()
            held.callback(per_origin.release)
            await self._total.acquire()
            held.callback(self._total.release)
            return held
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

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = guarded_session(
                self.allowed,
                timeout=self._timeout,
                in_flight=self._in_flight,
                per_origin=self._per_origin,
                resolver=self._resolver,
            )
        return self._session

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


@contextlib.asynccontextmanager
async def one_off(allowed: Iterable[urls.IPNetwork]) -> AsyncIterator[aiohttp.ClientSession]:
    """A guarded session for a single call (the API's "test this endpoint")."""
    session = guarded_session(allowed, in_flight=1, per_origin=1)
    try:
        yield session
    finally:
        await session.close()
