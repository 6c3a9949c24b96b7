"""This machine's addresses, so phones get a join link they can actually reach.

The addresses come from the network interfaces themselves (psutil), not from the host name: on stock Debian and
Ubuntu the host name maps to 127.0.1.1 in /etc/hosts, which no phone can reach. No traffic is sent.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psutil

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
LAN_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Interfaces of containers, virtual machines and bridges: phones in the room are rarely on their network.
VIRTUAL_PREFIXES = ("docker", "br-", "virbr", "veth", "lxcbr", "lxdbr", "cni", "flannel", "podman", "vboxnet",
                    "vmnet", "kube")

RANK_LAN, RANK_OTHER, RANK_VIRTUAL = 0, 1, 2


@dataclass(frozen=True)
class Candidate:
    """An IPv4 address phones might reach this machine by, the interface it is on, and how likely (0 best)."""

    address: str
    interface: str
    rank: int

    @property
    def virtual(self) -> bool:
        """Whether it is on a container's or virtual machine's bridge."""
        return self.rank == RANK_VIRTUAL


def interface_addresses() -> list[tuple[str, str]]:
    """``(interface, IPv4 address)`` of every interface that is up, in the system's order."""
    try:
        addresses = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except OSError:
        return []
    found = []
    for name, entries in addresses.items():
        state = stats.get(name)
        if state is not None and not state.isup:
            continue
        found += [(name, entry.address) for entry in entries if entry.family == socket.AF_INET]
    return found


def _rank(interface: str, address: str) -> int | None:
    """How likely phones reach ``address`` (see the RANK_ constants); None for one they never can."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return None
    if interface.lower().startswith(VIRTUAL_PREFIXES):
        return RANK_VIRTUAL
    return RANK_LAN if any(ip in network for network in LAN_NETWORKS) else RANK_OTHER


def candidates(found: list[tuple[str, str]] | None = None) -> list[Candidate]:
    """The addresses phones could use, best first: private LAN ranges, then other addresses, then virtual bridges.
    Loopback (127/8) and link-local (169.254/16) addresses are never candidates."""
    listed = interface_addresses() if found is None else found
    result, seen = [], set()
    for interface, address in listed:
        rank = _rank(interface, address)
        if rank is not None and address not in seen:
            seen.add(address)
            result.append(Candidate(address, interface, rank))
    return sorted(result, key=lambda c: c.rank)  # stable: the system's order within a rank


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that phones on the same network could reach, best first."""
    return [c.address for c in candidates()]


def is_loopback(url: str) -> bool:
    """Whether a URL's host is this machine only (127.0.0.0/8, ::1 or localhost): no phone can reach it."""
    return host_is_loopback(urlsplit(url).hostname or "")


def host_is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine only."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_host(url: str, host: str) -> str:
    """A base URL with the same scheme and port as ``url`` and the host ``host``."""
    parts = urlsplit(url)
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")


def base_of(url: str) -> str:
    """A URL's scheme, host and port, without a path or a trailing slash."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def reachable_base(url: str, addresses: list[str] | None = None) -> str:
    """A base URL phones can reach: a loopback host is swapped for the best LAN address, if there is one."""
    if not is_loopback(url):
        return base_of(url)
    lan = lan_addresses() if addresses is None else addresses
    return with_host(url, lan[0]) if lan else base_of(url)


def candidate_bases(url: str, found: list[Candidate] | None = None) -> list[dict]:
    """The join addresses to offer for a page opened on ``url``: each candidate with its scheme and port
    (``{"url", "address", "interface", "virtual"}``), and the page's own host first when phones could use it."""
    offered = []
    if not is_loopback(url):
        host = urlsplit(url).hostname or ""
        offered.append({"url": base_of(url), "address": host, "interface": "", "virtual": False})
    for c in candidates() if found is None else found:
        base = with_host(url, c.address)
        if all(o["url"] != base for o in offered):
            offered.append({"url": base, "address": c.address, "interface": c.interface, "virtual": c.virtual})
    return offered


def startup_lines(host: str, port: int, public_url: str | None, found: list[Candidate] | None = None,
                  scheme: str = "http") -> list[str]:
    """What ``python -m game serve`` prints: where the facilitator opens the app, every join URL phones could use
    (with its interface), and a loud warning when phones can reach none of them."""
    listening_everywhere = host in ("0.0.0.0", "", "::")
    found = candidates() if found is None else found
    if not listening_everywhere:  # phones can only use the address it listens on
        found = [] if host_is_loopback(host) else [Candidate(host, next(
            (c.interface for c in found if c.address == host), "the address given with --host"), RANK_OTHER)]
    lines = ["Aandacht is running. Facilitator, create a workshop at:"]
    local = "127.0.0.1" if listening_everywhere else host
    lines.append(f"  {scheme}://{local}:{port}/")
    if public_url:
        lines.append(f"Phones join at {public_url.rstrip('/')}/play (set by AANDACHT_PUBLIC_URL).")
        if is_loopback(public_url):
            lines += _warning(f"AANDACHT_PUBLIC_URL is {public_url}: a loopback address, which no phone can reach.")
        return lines
    if found:
        lines.append("Phones can join at (the console shows the one in use and lets you choose another):")
        for c in found:
            note = f"{c.interface}, a virtual bridge: phones are rarely on it" if c.virtual else c.interface
            lines.append(f"  {scheme}://{c.address}:{port}/play   ({note})")
        if all(c.virtual for c in found):
            lines += _warning("Only virtual bridges have an address: connect this machine to the room's network.")
        return lines
    if not listening_everywhere:  # chosen by whoever started it: behind a proxy (the cluster's nginx), say
        return [*lines, f"It listens on {host} only: phones reach it only through a proxy in front of it. "
                        "Without one, start it with --host 0.0.0.0 (the default)."]
    return lines + _warning("This machine has no network address phones can reach, only loopback (127.0.0.1). "
                            "Connect it to the room's Wi-Fi or hotspot (then reload the console), "
                            "or set AANDACHT_PUBLIC_URL.")


def _warning(text: str) -> list[str]:
    """A warning that stands out in a terminal."""
    bar = "!" * 78
    return [bar, f"!! WARNING: {text}", "!! The QR code and join link point to an address phones cannot open.", bar]
