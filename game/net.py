"""This machine's addresses, so phones get a join link they can actually reach."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit, urlunsplit

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that phones on the same network could reach (no traffic is sent)."""
    found = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = info[4][0]
            if not address.startswith("127.") and address not in found:
                found.append(address)
    except OSError:
        pass
    return found


def reachable_base(url: str, addresses: list[str] | None = None) -> str:
    """A base URL phones can reach: a loopback host is swapped for the first LAN address, if there is one."""
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS:
        return url.rstrip("/")
    lan = lan_addresses() if addresses is None else addresses
    if not lan:
        return url.rstrip("/")
    netloc = lan[0] + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")
