"""The guard for third-party URLs (homepages): http(s) only, URLs that parse, and no private, loopback,
link-local or otherwise non-public address unless `PAPERHARVEST_ALLOW_PRIVATE_HOSTS=1` says so (tests, mirrors).

The address check happens where the socket is opened (`GuardedBackend.connect_tcp`), on the addresses the
connection will really use, so a redirect or a DNS answer cannot slip a private address past it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Resolver = Callable[..., list[tuple[Any, ...]]]


# Digits, dots and hex: what inet_aton reads as an IPv4 address in any of its spellings (0177.0.0.1, 127.1,
# 2130706433, 0x7f.1). No DNS name looks like this, since no top-level domain is numeric.
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE)


class BlockedURL(Exception):
    """A URL the guard will not fetch; the message says why."""


class InvalidURL(BlockedURL):
    """A URL that does not parse, or whose host is spelled so that parsers disagree on what it is."""


def check_url(url: str) -> None:
    """Refuse anything but plain http(s) URLs with a host that every parser reads the same way."""
    try:
        parts = urlsplit(url)
        # A bad port, or a bad IDNA host, is only found when asked for.
        _ = parts.port, httpx.URL(url).host
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidURL(f"the URL does not parse: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise BlockedURL(f"only http(s) URLs are fetched, not {parts.scheme or 'a relative URL'!r}")
    if not parts.hostname:
        raise BlockedURL("the URL has no host")
    if parts.username or parts.password:
        raise BlockedURL("URLs with credentials in them are not fetched")
    check_numeric_host(parts.hostname)


def check_numeric_host(host: str) -> None:
    """Refuse an IPv4 address in any spelling but the dotted quad: the resolver reads `0177.0.0.1` as
    127.0.0.1, while a reader (or another parser) may not, so its meaning is not clear enough to dial."""
    if not _NUMERIC_HOST.fullmatch(host):
        return
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise InvalidURL(f"{host!r} is not a standard IPv4 address (an octal, hex or shortened spelling?)") from None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def allowed_addresses(
    host: str,
    port: int,
    *,
    allow_private: bool,
    resolver: Resolver = socket.getaddrinfo,
    exempt: frozenset[str] = frozenset(),
) -> list[str]:
    """The addresses `host` resolves to, if every one of them may be dialled.

    A name that resolves to any non-public address is refused as a whole: mixing public and private
    answers is a known way to reach an internal service.
    """
    check_numeric_host(host)
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [host]
    except ValueError:
        try:
            infos = resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise BlockedURL(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise BlockedURL(f"{host} resolves to no address")
    if not allow_private:
        private = [a for a in addresses if a not in exempt and not is_public(a)]
        if private:
            raise BlockedURL(f"{host} resolves to a non-public address ({private[0]}); not fetched")
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, dialling only addresses the guard allows."""

    def __init__(
        self, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo, exempt: frozenset[str] = frozenset()
    ) -> None:
        """`exempt` addresses pass as if public: tests serve pages from 127.0.0.1 and still check the guard."""
        self.allow_private = allow_private
        self.resolver = resolver
        self.exempt = exempt

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = allowed_addresses(
            host, port, allow_private=self.allow_private, resolver=self.resolver, exempt=self.exempt
        )
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error
