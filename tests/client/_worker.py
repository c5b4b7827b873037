"""A separate process for the shared-budget test: ``python -m tests.client._worker CONFIG N T``.

It loads its own settings (the key comes from the environment, never through pickle), builds
its own client on the shared budget (the file, or the PostgreSQL that dlt's credentials name
when ``budget_backend = "postgres"``), sends N page requests from T threads, and prints its
stats as JSON. Exit code 1 if any request surfaced an error.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from custify.client import CustifyClient
from custify.settings import load_settings
from warehouse import postgres_dsn


def hammer(client: CustifyClient, requests: int, threads: int) -> list[str]:
    """``requests`` list_page calls from ``threads`` threads; returns the errors' texts."""

    def one(i: int) -> str | None:
        try:
            client.list_page("people", 1 + i % 5, page_size=10)
        except Exception as exc:  # noqa: BLE001 -- reported to the parent, which fails the test
            return repr(exc)
        return None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [e for e in pool.map(one, range(requests)) if e]


def main() -> int:
    config, requests, threads = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    settings = load_settings(config, connection="default").connection()
    with CustifyClient(settings, postgres_dsn=postgres_dsn()) as client:
        errors = hammer(client, requests, threads)
        print(json.dumps({"errors": errors, "stats": client.stats.snapshot()}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
