"""One warehouse session per run: a single open SQL client and memoised name quoting.

``warehouse.Warehouse`` opens a fresh dlt SQL client for every statement and every quoted name,
which costs dlt's configuration resolution each time (tens of milliseconds). A push (or an
extract's bookkeeping) issues a few hundred statements and quotes many names, so it runs on
this subclass: same SQL surface, one connection for the whole run, names quoted once. Use it
from one thread only: DuckDB connections are not shared across threads (the reverse ETL keeps
request threads away from the warehouse).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from warehouse.config import WarehouseConfig, check_identifier
from warehouse.connection import Warehouse


class SessionWarehouse(Warehouse):
    def __init__(self, cfg: WarehouseConfig) -> None:
        super().__init__(cfg)
        self._stack = ExitStack()
        self._open: Any = None
        self._names: dict[tuple[str, str], str] = {}

    @contextmanager
    def client(self) -> Iterator[Any]:
        if self._open is None:
            client = self._stack.enter_context(super().client())
            # the connection may predate the dataset the base class just created: point
            # unqualified names (users' source queries) at it now (DuckDB sets it on open only)
            if hasattr(client, "use_dataset"):
                client.use_dataset()
            self._open = client
        yield self._open

    def table(self, name: str) -> str:
        key = ("table", name)
        if key not in self._names:  # the base class knows DuckDB's catalog quirk
            self._names[key] = super().table(name)
        return self._names[key]

    def quote(self, column: str) -> str:
        key = ("column", column)
        if key not in self._names:
            check_identifier(column, "column name")
            with self.client() as client:
                self._names[key] = client.escape_column_name(column)
        return self._names[key]

    def close(self) -> None:
        self._open = None
        self._stack.close()

    def __enter__(self) -> SessionWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
