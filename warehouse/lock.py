"""One run at a time per connection and warehouse: the run lock.

Two pushes started together (a cron job whose run outlasts its interval, an orchestrator with
two active runs) would both see a create as missing and both send it. Every extract and push
therefore holds a lock for its whole run; extract and push of one connection serialize too,
because both write the connection's dataset (cursors, ledger, snapshots, trigger events).

- **DuckDB**: an OS file lock (``filelock``) on ``<database>.lock`` next to the database. DuckDB
  admits one writing process per file, so the lock covers the file, whatever the dataset.
- **PostgreSQL**: a session-level ``pg_try_advisory_lock`` keyed by the dataset, on a connection
  of its own held for the run (the holder's pid, host and command are its
  ``application_name``, so a waiting run can name it).
- **Snowflake**: no session lock is reachable from here; a file lock in the project's state
  directory serializes runs of one machine (README "Deploying": use the orchestrator's
  concurrency limit across machines).

A killed holder never blocks forever: the OS drops the file lock with the process, and
PostgreSQL drops the advisory lock with the session.

The lock is re-entrant within one thread of one process: ``run`` holds it for a whole cycle
and the extract and push inside take it again without waiting on themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.config import WarehouseConfig

#: seconds between two tries while waiting for a busy lock
POLL_S = 0.2


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as far as it can be told (every field may be unknown)."""

    pid: int | None = None
    host: str | None = None
    since: str | None = None
    command: str | None = None

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid else "another process"
        if self.host:
            who += f" on {self.host}"
        if self.command:
            who += f", running `{self.command}`"
        if self.since:
            who += f", since {self.since}"
        return who


class RunLocked(RuntimeError):
    """Another run holds the lock of this connection's warehouse; the message names it."""

    def __init__(self, what: str, holder: Holder, waited_s: float) -> None:
        self.what, self.holder, self.waited_s = what, holder, waited_s
        super().__init__(
            f"another custify-sync run holds the lock on {what} ({holder.describe()}); "
            f"waited {waited_s:g} s; retry later or pass --wait SECONDS"
        )


def _me(command: str) -> Holder:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Holder(os.getpid(), socket.gethostname(), now, command)


#: locks this process holds, by identity, with the (pid, thread) holding them: a ``run``
#: cycle holds its connection's lock and the extract and push inside it take it again without
#: waiting on themselves (a second OS file lock or advisory lock would block on the first);
#: another thread still waits, as another process does
_HELD: dict[str, tuple[tuple[int, int], Holder]] = {}


def _owner() -> tuple[int, int]:
    return os.getpid(), threading.get_ident()


@contextmanager
def run_lock(cfg: WarehouseConfig, *, command: str, wait_s: float = 0.0) -> Iterator[Holder]:
    """Hold the run lock of ``cfg``'s dataset for the block, waiting up to ``wait_s`` seconds;
    raises ``RunLocked`` when it stays busy. Re-entrant within one process."""
    identity = _identity(cfg)
    held = _HELD.get(identity)
    if held is not None and held[0] == _owner():
        yield held[1]
        return
    with _acquire(cfg, command, wait_s) as me:
        _HELD[identity] = (_owner(), me)
        try:
            yield me
        finally:
            _HELD.pop(identity, None)


@contextmanager
def _acquire(cfg: WarehouseConfig, command: str, wait_s: float) -> Iterator[Holder]:
    me = _me(command)
    if cfg.destination == "postgres":
        with _postgres_lock(cfg, me, wait_s):
            yield me
        return
    what = (f"DuckDB file {cfg.duckdb_path}" if cfg.destination == "duckdb"
            else f"{cfg.destination} dataset {cfg.dataset!r} (on this machine)")  # fmt: skip
    with _file_lock(lock_path(cfg), what, me, wait_s):
        yield me


@contextmanager
def run_locks(cfgs: list[WarehouseConfig], *, command: str, wait_s: float = 0.0) -> Iterator[None]:
    """The run locks of several connections at once, each taken once (two datasets in one
    DuckDB file share its lock), in a fixed order so two runs never wait on each other."""
    unique = {_identity(c): c for c in cfgs}
    with ExitStack() as stack:
        for identity in sorted(unique):
            stack.enter_context(run_lock(unique[identity], command=command, wait_s=wait_s))
        yield


def _identity(cfg: WarehouseConfig) -> str:
    if cfg.destination == "postgres":
        return (
            f"postgres:{cfg.credentials if isinstance(cfg.credentials, str) else ''}:{cfg.dataset}"
        )
    return str(lock_path(cfg).resolve())


def lock_path(cfg: WarehouseConfig) -> Path:
    if cfg.destination == "duckdb":
        return Path(f"{cfg.duckdb_path}.lock")
    base = cfg.state_dir or Path.cwd() / ".custify-sync"
    return base / "locks" / f"{cfg.destination}-{cfg.dataset}.lock"


@contextmanager
def _file_lock(path: Path, what: str, me: Holder, wait_s: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    # no soft fallback: a soft lock is a file that a killed process leaves behind
    lock = FileLock(path, timeout=max(0.0, wait_s), fallback_to_soft=False)
    holder_file = path.with_name(path.name + ".holder")
    try:
        lock.acquire(poll_interval=POLL_S)
    except Timeout:
        raise RunLocked(what, _read_holder(holder_file), wait_s) from None
    try:
        holder_file.write_text(json.dumps(me.__dict__))
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text())
        return Holder(**{k: data.get(k) for k in ("pid", "host", "since", "command")})
    except (OSError, ValueError, TypeError):
        return Holder()


def advisory_key(dataset: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` from the dataset name."""
    digest = hashlib.sha256(f"custify-sync:{dataset}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _postgres_lock(cfg: WarehouseConfig, me: Holder, wait_s: float) -> Iterator[None]:
    conn = _lock_connection(cfg, me)
    key = advisory_key(cfg.dataset)
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        while not _try_advisory(conn, key):
            if time.monotonic() >= deadline:
                what = f"PostgreSQL dataset {cfg.dataset!r}"
                raise RunLocked(what, _advisory_holder(conn, key), wait_s)
            time.sleep(POLL_S)
        try:
            yield
        finally:
            # Closing the session drops the lock too, but only once the server has finished
            # the backend, after close() returns: a run started right after this one could
            # still find it held. Unlocking first makes the release part of this call.
            _unlock_advisory(conn, key)
    finally:
        conn.close()


def _lock_connection(cfg: WarehouseConfig, me: Holder) -> Any:
    import psycopg2

    from warehouse.connection import WarehouseUnavailable, postgres_credentials

    name = f"custify-sync pid={me.pid} host={me.host} cmd={me.command}"[:63]
    try:
        dsn = postgres_credentials(cfg)
        conn = psycopg2.connect(dsn, application_name=name, connect_timeout=10)
    except Exception as exc:  # missing credentials, refused, unknown database: one line
        raise WarehouseUnavailable(cfg, exc) from None
    conn.autocommit = True
    return conn


def _try_advisory(conn: Any, key: int) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        return bool(cur.fetchone()[0])


def _unlock_advisory(conn: Any, key: int) -> None:
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except Exception:  # a broken session: closing it releases the lock all the same
        pass


def _advisory_holder(conn: Any, key: int) -> Holder:
    """The session holding ``key``: its application name says pid, host and command."""
    hi, lo = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    with conn.cursor() as cur:
        cur.execute(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
            (hi, lo),
        )
        row = cur.fetchone()
    if row is None:
        return Holder()
    fields = dict(p.split("=", 1) for p in str(row[0] or "").split() if "=" in p)
    since = row[1].astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    pid = fields.get("pid")
    return Holder(int(pid) if pid and pid.isdigit() else None, fields.get("host"), since,
                  fields.get("cmd"))  # fmt: skip
