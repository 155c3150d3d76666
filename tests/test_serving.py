"""Listening sockets: `localhost` means every loopback address the machine has."""

import socket

import pytest

from omnicontacts.serving import bind_sockets


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
        with pytest.raises(OSError):
            bind_sockets("127.0.0.1", holder.getsockname()[1])
