"""The SSRF guard on IPv6 forms that carry an IPv4 address (NAT64, 6to4, Teredo, ...)."""

import errno
import ipaddress
import re
import socket
from typing import Any

import aiohappyeyeballs
import aiohttp
import pytest

from shared.notifications import client, urls

LOCAL = urls.parse_networks("127.0.0.0/8")  # what the tests and a dev setup allowlist
EVERYTHING = urls.parse_networks("0.0.0.0/0, ::/0")


def refusal(address: str, allowed: tuple[urls.IPNetwork, ...] = LOCAL) -> str | None:
    return urls.refusal(ipaddress.ip_address(address), allowed)


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("64:ff9b::169.254.169.254", "cloud metadata address 169.254.169.254"),
        ("64:ff9b::127.0.0.1", "127.0.0.1 by NAT64"),  # allowlisted 127/8: not through NAT64
        ("64:ff9b::10.0.0.1", "10.0.0.1 by NAT64"),
        ("64:ff9b::224.0.0.1", "224.0.0.1 by NAT64"),
        ("2002:7f00:1::", "6to4 address (deprecated) for 127.0.0.1"),
        ("2002:a9fe:a9fe::", "cloud metadata address 169.254.169.254"),
        ("2002:808:808::", "6to4"),  # deprecated even around a public address
        ("::127.0.0.1", "IPv4-compatible address (deprecated) for 127.0.0.1"),
        ("::8.8.8.8", "IPv4-compatible"),
        ("::169.254.169.254", "cloud metadata address"),
        ("::ffff:0:127.0.0.1", "not a public address"),  # SIIT, in reserved ::/8
        ("fec0::1", "site-local"),
        # Teredo: server 65.54.227.120; the client is stored XORed with 0xffffffff.
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo tunnel address (server 65.54.227.120, "
                                                 "client 127.0.0.1)"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "client 8.8.8.8"),  # never a receiver
        ("2001:0:4136:e378:8000:63bf:5601:5601", "cloud metadata address 169.254.169.254"),
        ("2001:0:a9fe:a9fe::", "cloud metadata address 169.254.169.254"),  # as the server
        ("64:ff9b:1::8.8.8.8", "NAT64 local-use"),
        ("64:ff9b:1::127.0.0.1", "NAT64 local-use"),
    ],
)  # fmt: skip
def test_ipv6_forms_carrying_an_internal_or_tunnelled_address_are_refused(address, said):
    reason = refusal(address)
    assert reason is not None
    assert said in reason


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",
        "64:ff9b::169.254.169.254",
        "2002:a9fe:a9fe::",
        "::169.254.169.254",
        "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo client
        "2001:0:a9fe:a9fe::",  # Teredo server
        # The local-use NAT64 prefix holds the IPv4 address where its prefix length says.
        "64:ff9b:1:a9fe:a9:fe00::",  # /48
        "64:ff9b:1:a9:fe:a9fe::",  # /56
        "64:ff9b:1:0:a9:fea9:fe00:0",  # /64
        "64:ff9b:1::169.254.169.254",  # /96
    ],
)
def test_the_metadata_address_is_refused_in_every_form_even_when_allowlisted(address):
    reason = refusal(address, EVERYTHING)
    assert reason is not None
    assert "cloud metadata address" in reason


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", ()),
        ("2606:4700:4700::1111", ()),
        ("64:ff9b::8.8.8.8", ()),  # what DNS64 answers for an IPv4-only name
        ("127.0.0.1", LOCAL),
        ("::ffff:127.0.0.1", LOCAL),  # the same socket destination as 127.0.0.1
        # An IPv6 network the operator names opens what is in it (metadata aside).
        ("2002:7f00:1::", urls.parse_networks("2002::/16")),
        ("fec0::1", urls.parse_networks("fec0::/10")),
        ("64:ff9b:1::10.0.0.1", urls.parse_networks("64:ff9b:1::/48")),
        ("::1", urls.parse_networks("::1")),
    ],
)
def test_public_and_allowlisted_addresses_may_still_be_called(address, allowed):
    assert refusal(address, allowed) is None


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ("64:ff9b::7f00:1", "reaches 127.0.0.1 by NAT64"),
        ("2002:a9fe:a9fe::", "cloud metadata address"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo"),
        ("64:ff9b::808:808", None),  # public through DNS64: connected to
    ],
)
async def test_the_address_connected_to_is_checked_at_send_time(monkeypatch, answer, refused):
    """The name answers differently when the callback is sent than when it was registered."""
    real_getaddrinfo = socket.getaddrinfo

    def rebound(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebound.test":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, port, 0, 0))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    connected: list[str] = []

    async def start_connection(addr_infos: Any, **_: Any) -> Any:
        connected.extend(info[4][0] for info in addr_infos)
        raise OSError(errno.ENETUNREACH, "no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    monkeypatch.setattr(aiohappyeyeballs, "start_connection", start_connection)
    expected = re.escape(refused or "no network in this test")
    async with client.guarded_session(LOCAL) as session:
        with pytest.raises(aiohttp.ClientConnectorError, match=expected):
            await session.post("https://hooks.rebound.test/")
    assert connected == ([] if refused else [answer])
