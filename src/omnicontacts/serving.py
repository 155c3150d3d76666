"""Listening sockets and worker processes for `omnicontacts serve`.

`localhost` means every loopback address: 127.0.0.1 and, where the machine has IPv6, ::1. Clients
that resolve `localhost` to ::1 first (older Node.js does) reach the server without a setting.
"""

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

LOOPBACK = ("127.0.0.1", "::1")


def _addresses(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple[str, int]]]:
    names = LOOPBACK if host == "localhost" else (host,)
    found: list[tuple[socket.AddressFamily, tuple[str, int]]] = []
    for name in names:
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror:
            continue
        for family, _, _, _, address in infos:
            entry = (family, (str(address[0]), int(address[1])))
            if entry not in found:
                found.append(entry)
    return found


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind every address `host` stands for; fail only when none of them can be bound."""
    sockets: list[socket.socket] = []
    errors: list[OSError] = []
    for family, address in _addresses(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
        except OSError as error:  # e.g. IPv6 switched off: the other loopback still serves
            errors.append(error)
            sock.close()
            continue
        sock.set_inheritable(True)
        sockets.append(sock)
    if not sockets:
        raise errors[0] if errors else OSError(f"cannot resolve {host}")
    return sockets


def run(config: uvicorn.Config, host: str, port: int) -> None:
    """Serve `config` on every address of `host`, in one process or `config.workers` processes."""
    sockets = bind_sockets(host, port)
    if config.workers > 1:
        Multiprocess(config, sockets=sockets).run()
    else:
        uvicorn.Server(config).run(sockets=sockets)
