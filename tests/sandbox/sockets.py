"""A sandbox server seen from outside: its CLI banner, a raw keep-alive connection (for what
httpx would hide)."""

from __future__ import annotations

import re
import socket
import subprocess
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


def sandbox_banner(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The URL and API key a ``custify-sync sandbox`` process prints on its first two lines."""
    lines = [proc.stdout.readline() for _ in range(2)] if proc.stdout else []
    url = re.search(r"http://127\.0\.0\.1:\d+", lines[0] if lines else "")
    key = re.search(r"API key: (\S+)", lines[1] if len(lines) > 1 else "")
    assert url and key, f"unexpected sandbox banner: {lines!r}"
    return url.group(0), key.group(1)
