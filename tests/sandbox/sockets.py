"""A raw keep-alive connection to a sandbox server, for what httpx would hide."""

from __future__ import annotations

import socket
import time


def idle_connection_closed(host: str, port: int, api_key: str, idle_s: float) -> bool:
    """One keep-alive request on a raw socket, then ``idle_s`` of silence: did the server
    close the connection (a read returns end of file)?"""
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(f"GET /tag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_key}\r\n\r\n"
                     .encode())  # fmt: skip
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))  # fmt: skip
        while len(body) < length:
            body += sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200")
        time.sleep(idle_s)
        sock.settimeout(0.5)
        try:
            return sock.recv(1) == b""
        except TimeoutError:
            return False  # still open: nothing to read, no end of file
