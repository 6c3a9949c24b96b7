"""The join address: this machine's addresses from its interfaces, ranked, and what the server prints at start-up.

The unit tests fake the interface list psutil reports; the last tests make a real network namespace with its own
interfaces and run the address finder, and the real server, inside it (root only; no traffic leaves it).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from game import net

from .conftest import REPO


def fake_interfaces(monkeypatch, interfaces: dict[str, tuple[list[str], bool]]) -> None:
    """Make psutil report these interfaces: name -> (IPv4 addresses, up)."""
    addrs = {
        name: [SimpleNamespace(family=socket.AF_INET, address=a, netmask="255.255.255.0") for a in addresses]
        + [SimpleNamespace(family=socket.AF_INET6, address="fe80::1", netmask=None)]
        for name, (addresses, _up) in interfaces.items()
    }
    stats = {name: SimpleNamespace(isup=up) for name, (_addresses, up) in interfaces.items()}
    monkeypatch.setattr(net.psutil, "net_if_addrs", lambda: addrs)
    monkeypatch.setattr(net.psutil, "net_if_stats", lambda: stats)


def test_loopback_only_finds_nothing_and_start_up_warns(monkeypatch):
    # a laptop off every network: its host name may map to 127.0.1.1, its only interface is lo
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True)})
    assert net.candidates() == []
    assert net.lan_addresses() == []
    assert net.reachable_base("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    lines = net.startup_lines("0.0.0.0", 5000, None)
    assert "  http://127.0.0.1:5000/" in lines
    warning = "\n".join(lines)
    assert "WARNING" in warning and "no network address phones can reach" in warning
    assert not any("/play" in line for line in lines)


def test_one_lan_address_is_found_from_the_interfaces(monkeypatch):
    # what /etc/hosts says about the host name does not matter: the interfaces do
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "wlp2s0": (["192.168.1.20"], True)})
    assert net.candidates() == [net.Candidate("192.168.1.20", "wlp2s0", net.RANK_LAN)]
    assert net.lan_addresses() == ["192.168.1.20"]
    assert net.reachable_base("http://127.0.0.1:5000/") == "http://192.168.1.20:5000"
    assert net.reachable_base("http://localhost/") == "http://192.168.1.20"
    assert net.reachable_base("http://aandacht.lan:8080/x") == "http://aandacht.lan:8080"
    lines = net.startup_lines("0.0.0.0", 5000, None)
    assert "  http://192.168.1.20:5000/play   (wlp2s0)" in lines
    assert not any("WARNING" in line for line in lines)


def test_several_addresses_are_ranked_and_down_interfaces_left_out(monkeypatch):
    fake_interfaces(monkeypatch, {
        "lo": (["127.0.0.1"], True),
        "docker0": (["172.17.0.1"], True),  # a container bridge: listed, but last
        "tailscale0": (["100.101.102.103"], True),  # not a private LAN range: after the LAN ones
        "enp0s31f6": (["10.0.5.7"], True),
        "wlp2s0": (["192.168.1.20", "192.168.1.21"], True),
        "eth1": (["192.168.9.9"], False),  # down: phones cannot reach it now
        "br-5f3a": (["172.18.0.1"], True),
    })
    found = net.candidates()
    assert [(c.address, c.interface) for c in found] == [
        ("10.0.5.7", "enp0s31f6"),
        ("192.168.1.20", "wlp2s0"),
        ("192.168.1.21", "wlp2s0"),
        ("100.101.102.103", "tailscale0"),
        ("172.17.0.1", "docker0"),
        ("172.18.0.1", "br-5f3a"),
    ]
    assert [c.virtual for c in found] == [False, False, False, False, True, True]
    assert net.reachable_base("http://127.0.0.1:5000/") == "http://10.0.5.7:5000"
    lines = net.startup_lines("0.0.0.0", 8000, None)
    joins = [line for line in lines if "/play" in line]
    assert joins == [
        "  http://10.0.5.7:8000/play   (enp0s31f6)",
        "  http://192.168.1.20:8000/play   (wlp2s0)",
        "  http://192.168.1.21:8000/play   (wlp2s0)",
        "  http://100.101.102.103:8000/play   (tailscale0)",
        "  http://172.17.0.1:8000/play   (docker0, a virtual bridge: phones are rarely on it)",
        "  http://172.18.0.1:8000/play   (br-5f3a, a virtual bridge: phones are rarely on it)",
    ]
    assert not any("WARNING" in line for line in lines)
    # the console offers the same, with the scheme and port the console was opened on
    offered = net.candidate_bases("https://127.0.0.1:8443/f/key")
    assert [o["url"] for o in offered] == [
        "https://10.0.5.7:8443", "https://192.168.1.20:8443", "https://192.168.1.21:8443",
        "https://100.101.102.103:8443", "https://172.17.0.1:8443", "https://172.18.0.1:8443",
    ]
    assert offered[0]["interface"] == "enp0s31f6" and offered[-1]["virtual"] is True
    # a console opened on a name phones can use offers that name first
    assert [o["url"] for o in net.candidate_bases("http://laptop.lan:5000/")][:2] == [
        "http://laptop.lan:5000", "http://10.0.5.7:5000"]


def test_link_local_addresses_are_no_candidates(monkeypatch):
    # a cable to nothing, or Wi-Fi without DHCP: 169.254.x.x, which phones in the room do not share
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "eth0": (["169.254.12.34"], True)})
    assert net.candidates() == []
    assert net.reachable_base("http://localhost:5000") == "http://localhost:5000"
    assert any("no network address phones can reach" in line for line in net.startup_lines("0.0.0.0", 5000, None))
    fake_interfaces(monkeypatch, {"eth0": (["169.254.12.34"], True), "wlan0": (["192.168.43.12"], True)})
    assert net.lan_addresses() == ["192.168.43.12"]


def test_only_virtual_bridges_still_warn(monkeypatch):
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "docker0": (["172.17.0.1"], True)})
    lines = net.startup_lines("0.0.0.0", 5000, None)
    assert "  http://172.17.0.1:5000/play   (docker0, a virtual bridge: phones are rarely on it)" in lines
    assert any("WARNING" in line and "virtual bridges" in line for line in lines)


def test_start_up_with_a_public_url_or_a_host(monkeypatch):
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "wlan0": (["192.168.1.20"], True)})
    lines = net.startup_lines("0.0.0.0", 5000, "http://aandacht.example:80/")
    assert "Phones join at http://aandacht.example:80/play (set by AANDACHT_PUBLIC_URL)." in lines
    assert not any("192.168.1.20" in line or "WARNING" in line for line in lines)
    assert any("WARNING" in line for line in net.startup_lines("0.0.0.0", 5000, "http://localhost:5000"))
    # listening on one address: only that one is a join address; on loopback, none is
    assert [line for line in net.startup_lines("192.168.1.20", 5000, None) if "/play" in line] == [
        "  http://192.168.1.20:5000/play   (wlan0)"]
    lines = net.startup_lines("127.0.0.1", 5000, None)  # as the cluster starts its processes, behind nginx
    assert any("listens on 127.0.0.1 only: phones reach it only through a proxy" in line for line in lines)
    assert not any("/play" in line for line in lines)


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:5000/j/ABC", True), ("http://127.0.1.1/", True), ("http://localhost:5000", True),
    ("http://LOCALHOST", True), ("http://[::1]:5000/", True), ("http://app.localhost/", True),
    ("http://192.168.1.20:5000/j/ABC", False), ("https://aandacht.example", False), ("http://10.0.0.1", False),
])
def test_loopback_urls(url, loopback):
    assert net.is_loopback(url) is loopback


def test_psutil_failing_finds_nothing(monkeypatch):
    def broken():
        raise OSError("no netlink here")

    monkeypatch.setattr(net.psutil, "net_if_addrs", broken)
    assert net.candidates() == []


# --- a real network namespace (root) ---------------------------------------------------------------------------

FINDER = (
    "import json; from game import net;"
    "print(json.dumps({'candidates': [[c.address, c.interface, c.rank] for c in net.candidates()],"
    " 'lines': net.startup_lines('0.0.0.0', 5000, None)}))"
)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def namespace():
    """A network namespace of this test's own, removed afterwards. Root only: CI runs as root and must run it."""
    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("a network namespace needs root (CI runs this as root)")
    name = f"aandacht-t-{secrets.token_hex(4)}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def _in_namespace(name: str, *command: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(["ip", "netns", "exec", name, *command], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True, **kwargs)


def test_a_real_namespace_with_only_loopback(namespace):
    found = json.loads(_in_namespace(namespace, sys.executable, "-c", FINDER).stdout)
    assert found["candidates"] == []
    assert any("no network address phones can reach" in line for line in found["lines"])


def test_a_real_namespace_with_lan_interfaces(namespace, tmp_path):
    # two veth pairs inside the namespace: one up with a 10.x and a link-local address on its ends, one down
    _ip("-n", namespace, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1")
    _ip("-n", namespace, "addr", "add", "10.77.0.5/24", "dev", "lan0")
    _ip("-n", namespace, "addr", "add", "192.168.77.5/24", "dev", "lan1")
    _ip("-n", namespace, "addr", "add", "169.254.7.7/16", "dev", "lan1")
    _ip("-n", namespace, "link", "set", "lan0", "up")
    _ip("-n", namespace, "link", "set", "lan1", "up")
    _ip("-n", namespace, "link", "add", "off0", "type", "veth", "peer", "name", "off1")
    _ip("-n", namespace, "addr", "add", "10.88.0.5/24", "dev", "off0")  # left down
    found = json.loads(_in_namespace(namespace, sys.executable, "-c", FINDER).stdout)
    assert sorted(map(tuple, found["candidates"])) == [("10.77.0.5", "lan0", 0), ("192.168.77.5", "lan1", 0)]
    assert "  http://10.77.0.5:5000/play   (lan0)" in found["lines"]
    assert not any("WARNING" in line for line in found["lines"])

    # the real server, started inside the namespace, prints both join addresses (then it is stopped; nothing
    # connects to it)
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path / 'ns.sqlite3'}",
           "AANDACHT_PUBLIC_URL": "", "SECRET_KEY": "netns-test"}
    command = ["ip", "netns", "exec", namespace, sys.executable, "-m", "game", "serve", "--port", "5123"]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = []
    try:
        for line in server.stdout:  # ends when the server exits; it prints the addresses before it listens
            printed.append(line.rstrip("\n"))
            if line.startswith("Phones join at /play"):
                break
    finally:
        from bench.servers import stop_process

        stop_process(server)
        server.stdout.close()
    assert "  http://10.77.0.5:5123/play   (lan0)" in printed, printed
    assert "  http://192.168.77.5:5123/play   (lan1)" in printed, printed
    assert not any("10.88.0.5" in line or "169.254" in line or "WARNING" in line for line in printed), printed
