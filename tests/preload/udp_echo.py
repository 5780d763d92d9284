#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A UDP echo server and client with nothing but the standard socket module,
as a program nobody wrote for hotsock would be: run under
libhotsock-preload.so, it must behave exactly as on the kernel.

  udp_echo.py server ADDR PORT COUNT   echo COUNT datagrams, then exit
  udp_echo.py client ADDR PORT COUNT   send COUNT datagrams, check each echo

The server uses blocking recvfrom and sendto, then non-blocking mode
(setblocking) for its last datagrams; the client uses a timeout
(settimeout), recv_into, and checks that a wait with nothing to receive
times out. Both print what they did and exit 0 only when every byte
matched.
"""
import socket
import sys


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(addr, port, count):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("server: bound", s.getsockname()[:2], flush=True)
    blocking = count // 2
    for i in range(count):
        if i == blocking:
            s.setblocking(False)
        while True:
            try:
                data, peer = s.recvfrom(2048)
                break
            except BlockingIOError:
                # Non-blocking mode: wait with select, as many servers do.
                import select
                select.select([s], [], [], 5.0)
        s.sendto(data, peer)
    print("server: echoed", count, flush=True)
    s.close()


def client(addr, port, count):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.settimeout(5.0)
    buf = bytearray(2048)
    for i in range(count):
        msg = bytes((i + k) & 0xFF for k in range(64 + i % 512))
        for attempt in range(20):
            s.sendto(msg, (addr, port))
            try:
                n = s.recv_into(buf)
                break
            except socket.timeout:
                # The server may not be bound yet: only at the start.
                if i:
                    raise
        else:
            raise SystemExit("client: no echo from the server")
        if bytes(buf[:n]) != msg:
            raise SystemExit(f"client: datagram {i}: echo differs")
    s.settimeout(0.2)
    try:
        s.recvfrom(2048)
        raise SystemExit("client: a datagram nobody sent")
    except socket.timeout:
        pass
    print("client: echoed", count, "timeout ok", flush=True)
    s.close()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("server", "client"):
        raise SystemExit(__doc__)
    mode, addr, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    (server if mode == "server" else client)(addr, port, count)
