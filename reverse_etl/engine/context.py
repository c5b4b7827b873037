"""What one push run shares across its syncs: warehouse, clock, run id and Custify clients."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.clock import Clock, RealClock
from models.stop import StopFlag
from reverse_etl.config import SyncConfig
from warehouse import Warehouse

if TYPE_CHECKING:
    from custify.client import CustifyClient
    from custify.settings import Settings


Progress = Callable[[str, int, int], None]


@dataclass
class Context:
    settings: Settings
    wh: Warehouse
    client_factory: Callable[[str | None], CustifyClient]
    clock: Clock = field(default_factory=RealClock)
    dry_run: bool = False
    progress: Progress | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: Ctrl-C / SIGTERM: checked between waves, so the ledger always holds every outcome
    stop: StopFlag | None = None
    #: lookups answered once per run (``identify.find``, tag listings), keyed by what was asked
    cache: dict[Any, Any] = field(default_factory=dict)
    _clients: dict[str | None, CustifyClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, cfg: SyncConfig) -> CustifyClient:
        """One client per named connection, so syncs on one account share its rate budget."""
        with self._lock:
            if cfg.connection not in self._clients:
                self._clients[cfg.connection] = self.client_factory(cfg.connection)
            return self._clients[cfg.connection]

    def concurrency(self, cfg: SyncConfig) -> int:
        settings = getattr(self.client(cfg), "settings", None)
        return max(1, int(getattr(settings, "concurrency", 4)))

    def close_clients(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.now(), dt.UTC)

    def requests(self, cfg: SyncConfig) -> int:
        """Requests the sync's client sent so far (retries included): the cost we report.

        The client may be shared with the caller (``client_factory``), so only differences of
        this counter mean anything."""
        return int(self.client(cfg).stats.requests)

    def report_progress(self, sync: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(sync, done, total)
