"""Listening sockets: `localhost` means every loopback address the machine has."""

import socket

import pytest

from omnicontacts.serving import bind_sockets
from omnicontacts.startup import StartupError


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_localhost_binds_every_loopback() -> None:
    port = _free_port()
    sockets = bind_sockets("localhost", port)
    try:
        bound = {sock.getsockname()[0] for sock in sockets}
        expected = {"127.0.0.1", "::1"} if _ipv6_loopback() else {"127.0.0.1"}
        assert bound == expected
        assert {sock.getsockname()[1] for sock in sockets} == {port}
    finally:
        for sock in sockets:
            sock.close()


def test_an_explicit_address_binds_only_itself() -> None:
    sockets = bind_sockets("127.0.0.1", _free_port())
    try:
        assert [sock.getsockname()[0] for sock in sockets] == ["127.0.0.1"]
    finally:
        for sock in sockets:
            sock.close()


def test_a_taken_port_is_an_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(StartupError) as raised:
            bind_sockets("127.0.0.1", port)
    assert str(raised.value) == (
        f"port {port} is already in use on 127.0.0.1: stop the program using it, or choose another port"
        " with --port or PORT"
    )


@pytest.mark.skipif(not _ipv6_loopback(), reason="needs an IPv6 loopback")
def test_localhost_with_only_ipv4_taken_is_an_error_and_binds_nothing() -> None:
    """127.0.0.1 taken, ::1 free: serving on ::1 alone would send `localhost` clients elsewhere."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(StartupError, match=f"port {port} is already in use on 127.0.0.1"):
            bind_sockets("localhost", port)
    # Nothing was left bound on ::1.
    with socket.socket(socket.AF_INET6) as probe:
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        probe.bind(("::1", port))


@pytest.mark.skipif(not _ipv6_loopback(), reason="needs an IPv6 loopback")
def test_localhost_with_only_ipv6_taken_is_an_error() -> None:
    with socket.socket(socket.AF_INET6) as holder:
        holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        holder.bind(("::1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(StartupError, match=rf"port {port} is already in use on \[::1\]"):
            bind_sockets("localhost", port)
