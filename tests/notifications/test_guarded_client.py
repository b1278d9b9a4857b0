"""The callback client's guard where it connects: the resolver refuses names reaching
private addresses before any connection, and the connection goes to the checked address.

A resolver is injected (no DNS, no internet): the guard wraps whatever resolves."""

import errno
import socket
from typing import Any

import aiohappyeyeballs
import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from shared.notifications import client, urls
from tests.helpers import serving

LOCAL = urls.parse_networks("127.0.0.0/8")
PUBLIC = "93.184.216.34"


class Answers(AbstractResolver):
    """DNS as the test says: name -> addresses; counts the lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """What the connector dials (after the guard's socket check), never reaching a network."""
    seen: list[tuple[Any, ...]] = []

    async def start_connection(addr_infos: Any, *, socket_factory: Any, **_: Any) -> Any:
        for info in addr_infos:
            seen.append(info[4])
            socket_factory(info).close()  # the last check passes (or raises) as it would
        raise OSError(errno.ENETUNREACH, "no network in this test")

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", start_connection)
    return seen


@pytest.mark.parametrize(
    ("addresses", "said"),
    [
        (["10.1.2.3"], "10.1.2.3 is not a public address"),
        (["169.254.169.254"], "cloud metadata address"),
        (["127.0.0.1"], "127.0.0.1 is not a public address"),  # loopback, not allowlisted here
        (["fe80::1"], "fe80::1 is not a public address"),
        ([PUBLIC, "192.168.0.7"], "192.168.0.7 is not a public address"),  # any one refuses all
    ],
)
async def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
    dialled, addresses, said
):
    resolver = Answers({"hooks.example.com": addresses})
    async with client.guarded_session((), resolver=resolver) as session:
        with pytest.raises(aiohttp.ClientConnectorError, match=said):
            await session.post("https://hooks.example.com/callback", data=b"{}")
    assert resolver.asked == ["hooks.example.com"]
    assert dialled == []  # no socket was even created


async def test_a_public_name_is_dialled_at_exactly_the_checked_address(dialled):
    resolver = Answers({"hooks.example.com": [PUBLIC]})
    async with client.guarded_session((), resolver=resolver) as session:
        with pytest.raises(aiohttp.ClientConnectorError, match="no network in this test"):
            await session.post("https://hooks.example.com/callback", data=b"{}")
    assert dialled == [(PUBLIC, 443)]


async def test_an_ip_literal_is_checked_where_it_is_dialled(dialled):
    # aiohttp asks no resolver about an IP literal: the socket factory refuses it.
    async with client.guarded_session(()) as session:
        with pytest.raises(aiohttp.ClientConnectorError, match=r"10\.0\.0\.5 is not a public"):
            await session.post("https://10.0.0.5/callback", data=b"{}")
        with pytest.raises(aiohttp.ClientConnectorError, match="no network in this test"):
            await session.post(f"https://{PUBLIC}/callback", data=b"{}")
    assert dialled == [("10.0.0.5", 443), (PUBLIC, 443)]


async def test_an_allowlisted_name_reaches_the_receiver_at_the_checked_address():
    """End to end through a real socket: the request arrives, naming the host it was for,
    and a redirect is reported, not followed."""
    seen: list[dict[str, str]] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        seen.append(
            {k.decode(): v.decode() for k, v in scope["headers"]} | {":path": scope["path"]}
        )
        await send(
            {"type": "http.response.start", "status": 307, "headers": [(b"location", b"/moved")]}
        )
        await send({"type": "http.response.body", "body": b""})

    async with serving(receiver) as url:
        port = url.rsplit(":", 1)[1]
        resolver = Answers({"receiver.internal": ["127.0.0.1"]})
        async with (
            client.guarded_session(LOCAL, resolver=resolver) as session,
            session.post(
                f"http://receiver.internal:{port}/hook", data=b"{}", allow_redirects=False
            ) as answer,
        ):
            assert answer.status == 307
    assert [(s[":path"], s["host"]) for s in seen] == [("/hook", f"receiver.internal:{port}")]
