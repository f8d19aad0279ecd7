"""A fence around the network for tests and test tooling: connecting anywhere but loopback fails at once,
before a packet leaves."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any


def check_loopback(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return
    try:
        ip = ipaddress.ip_address(host)
    except (TypeError, ValueError):
        raise AssertionError(f"tried to connect to a host name {host!r}: only loopback may be dialled") from None
    if not ip.is_loopback:
        raise AssertionError(f"tried to connect to {host}: only loopback may be dialled")


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check_loopback(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check_loopback(address)
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
