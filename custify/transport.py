"""HTTP/1.1 keep-alive transport on the standard library's ``http.client``.

httpx's default transport (httpcore + h11) spends ~0.5 ms of CPU per request on its state
machines and connection pool: most of a small page's cost, and Custify's lists are many small
pages (one customer-objectives list per company). ``http.client`` parses a response in C-backed
code and writes a request in one ``sendall``; this module gives it what httpcore gave the
session: a pool of keep-alive connections (never two requests on one connection at once), the
same timeouts, TLS context and exception classes, so the session's retry rules and the error
taxonomy (``custify.errors``) read failures exactly as before:

- connecting: ``ConnectTimeout`` / ``ConnectError`` (never sent: safe to retry any request);
- writing the request: ``WriteTimeout`` / ``WriteError``;
- reading the answer: ``ReadTimeout`` / ``ReadError`` / ``RemoteProtocolError``.

It is an ``httpx.BaseTransport``, so requests and responses stay httpx objects (content
decoding, headers, the tests' wrapping transports). The session uses it where
its ``httpx.Client`` would use httpx's default transport for the base URL: a proxy from the
environment (``HTTPS_PROXY``...) keeps httpx's proxy transport.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time
from typing import Any

import httpx

#: an idle connection older than this is closed rather than reused (httpcore's default)
KEEPALIVE_EXPIRY_S = 5.0


class _Connection:
    """One keep-alive connection and when it was last put back in the pool."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.idle_since = 0.0

    def stale(self, now: float) -> bool:
        """Too old to trust, or the server closed it (a closed socket reads as readable)."""
        sock = self.conn.sock
        if sock is None or now - self.idle_since > KEEPALIVE_EXPIRY_S:
            return True
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class KeepAliveTransport(httpx.BaseTransport):
    """Pooled HTTP/1.1 connections to one origin; thread-safe."""

    def __init__(
        self,
        url: httpx.URL,
        *,
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._origin = _origin(url)
        self._scheme, self._host, self._port = self._origin
        self._ssl_context = ssl_context
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._closed = False

    # -- the pool ---------------------------------------------------------------------------
    def _take(self, timeouts: dict[str, float | None]) -> _Connection:
        if not self._slots.acquire(timeout=_seconds(timeouts.get("pool"))):
            raise httpx.PoolTimeout("no free connection in time")
        now = time.monotonic()
        with self._lock:
            while self._idle:
                held = self._idle.pop()
                if not held.stale(now):
                    return held
                held.conn.close()
        try:
            return _Connection(self._connect(timeouts))
        except BaseException:
            self._slots.release()
            raise

    def _give_back(self, held: _Connection, reusable: bool) -> None:
        if reusable and not self._closed:
            held.idle_since = time.monotonic()
            with self._lock:
                self._idle.append(held)
        else:
            held.conn.close()
        self._slots.release()

    def _connect(self, timeouts: dict[str, float | None]) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        connect_s = _seconds(timeouts.get("connect"))
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=connect_s, context=self._ssl_context
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=connect_s)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "connect timeout") from exc
        except OSError as exc:  # refused, DNS, unreachable, TLS (ssl.SSLError is an OSError)
            conn.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return conn

    # -- one request ------------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if _origin(url) != self._origin:
            raise httpx.UnsupportedProtocol(f"this transport serves {self._host} only")
        body = request.read() or None
        # http.client frames the body itself (encode_chunked), so httpx's header must not stay
        chunked = "transfer-encoding" in request.headers
        headers = {
            k: v for k, v in request.headers.multi_items() if k.lower() != "transfer-encoding"
        }
        return self.send(
            request.method,
            url.raw_path.decode("ascii"),
            headers,
            body,
            request.extensions.get("timeout", {}),
            chunked=chunked and body is not None,
        )

    def send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: dict[str, float | None],
        *,
        chunked: bool = False,
    ) -> httpx.Response:
        """One request to ``target`` (path and query, already encoded) on this origin; no
        ``httpx.Request`` needed. ``http.client`` adds ``Host`` and ``Content-Length``."""
        held = self._take(timeouts)
        conn, reusable = held.conn, False
        try:
            assert conn.sock is not None
            conn.sock.settimeout(_seconds(timeouts.get("write")))
            try:
                conn.request(method, target, body=body, headers=headers, encode_chunked=chunked)
            except TimeoutError as exc:
                raise httpx.WriteTimeout(str(exc) or "write timeout") from exc
            except OSError as exc:
                raise httpx.WriteError(str(exc) or type(exc).__name__) from exc
            conn.sock.settimeout(_seconds(timeouts.get("read")))
            status, reason, version, raw_headers, content, will_close = _read_response(conn)
            reusable = not will_close
        finally:
            self._give_back(held, reusable)
        return httpx.Response(
            status,
            headers=raw_headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": version, "reason_phrase": reason},
        )

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for held in idle:
            held.conn.close()


def _read_response(
    conn: http.client.HTTPConnection,
) -> tuple[int, bytes, bytes, list[tuple[str, str]], bytes, bool]:
    """Status, reason, version, headers, the whole body and whether the server ends the
    connection; every failure as the httpx exception httpcore would have raised."""
    try:
        response = conn.getresponse()
        content = response.read()
    except TimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timeout") from exc
    except http.client.HTTPException as exc:  # bad status line, cut body, too many headers
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
    except OSError as exc:  # reset, broken pipe
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    version = b"HTTP/1.0" if response.version == 10 else b"HTTP/1.1"
    return (
        response.status,
        response.reason.encode("latin-1", "replace"),
        version,
        response.getheaders(),
        content,
        bool(response.will_close),
    )


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def keep_alive_transport(base_url: str, *, max_connections: int) -> KeepAliveTransport | None:
    """A ``KeepAliveTransport`` for ``base_url``'s origin (TLS as httpx would verify it:
    certifi, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), or None for a URL it cannot serve."""
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        return None
    context = httpx.create_ssl_context(trust_env=True) if url.scheme == "https" else None
    return KeepAliveTransport(url, max_connections=max_connections, ssl_context=context)
