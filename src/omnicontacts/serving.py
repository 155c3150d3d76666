"""Listening sockets and worker processes for `omnicontacts serve`.

`localhost` means every loopback address: 127.0.0.1 and, where the machine has IPv6, ::1. Clients
that resolve `localhost` to ::1 first (older Node.js does) reach the server without a setting.
"""

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from omnicontacts.startup import StartupError, is_absent_address, port_error, resolve_error

LOOPBACK = ("127.0.0.1", "::1")


def _addresses(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple[str, int]]]:
    names = LOOPBACK if host == "localhost" else (host,)
    found: list[tuple[socket.AddressFamily, tuple[str, int]]] = []
    for name in names:
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as error:
            if host == "localhost":  # a machine without IPv6 has no ::1
                continue
            raise resolve_error(host, error) from error
        for family, _, _, _, address in infos:
            entry = (family, (str(address[0]), int(address[1])))
            if entry not in found:
                found.append(entry)
    return found


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind and listen on every address `host` stands for, or raise `StartupError` naming the one that failed.

    An address that is taken is an error even when others are free: serving on ::1 alone while
    another program holds 127.0.0.1 would send `localhost` clients to that program. Only an
    address the machine does not have (no IPv6) is skipped.
    """
    sockets: list[socket.socket] = []
    try:
        for family, address in _addresses(host, port):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
                sock.listen(2048)
            except OSError as error:
                sock.close()
                if is_absent_address(error):
                    continue
                raise port_error(address[0], port, error) from error
            sock.set_inheritable(True)
            sockets.append(sock)
        if not sockets:
            raise StartupError(f'no address of "{host}" can be listened on here (--host or HOST)')
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def addresses_text(sockets: list[socket.socket]) -> list[str]:
    out = []
    for sock in sockets:
        address, port = sock.getsockname()[:2]
        out.append(f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}")
    return out


def run(config: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """Serve `config` on bound `sockets`, in one process or `config.workers` processes."""
    if config.workers > 1:
        Multiprocess(config, sockets=sockets).run()
    else:
        uvicorn.Server(config).run(sockets=sockets)
