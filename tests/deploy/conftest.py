"""Deployments through the real CLI: project directories, connections, overlapping runs.

Every test runs ``python -m custify_sync.cli`` as a user would, in project directories of its
own, against sandboxes served over loopback HTTP, with a ``HOME`` of its own (so nothing may
be written outside the project) and an environment cleared of every ``CUSTIFY_*``,
``SOURCES__*``, ``DESTINATION__*`` and ``DLT_*`` variable the machine may have.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox import Faults, Sandbox, serve
from tests.conftest import POSTGRES_DSN
from warehouse import Warehouse, WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
CLEARED = ("CUSTIFY_", "SOURCES__", "DESTINATION__", "DLT_")


@dataclass
class Served:
    sb: Sandbox
    url: str

    @property
    def key(self) -> str:
        return self.sb.api_key

    def env(self, prefix: str = "CUSTIFY") -> dict[str, str]:
        return {f"{prefix}_BASE_URL": self.url, f"{prefix}_API_KEY": self.key}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def cli(home: Path):
    """``cli(cwd, *args, env=..., timeout=...)`` -> CompletedProcess of the real CLI."""

    def run(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300):
        return subprocess.run([*CLI, *args], cwd=cwd, env=clean_env(home, env),
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    return run


CLI = [sys.executable, "-m", "custify_sync.cli"]


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    env |= {"PYTHONPATH": str(ROOT), "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local/share")}  # fmt: skip
    return env | (extra or {})


@pytest.fixture
def sandboxes() -> Iterator[Any]:
    """``sandboxes(seed, **kw) -> Served``: sandboxes over loopback, stopped at the end."""
    servers = []

    def start(seed: int, scale: float = 0.05, latency_s: float = 0.0, **kwargs: Any) -> Served:
        kwargs.setdefault("rate_limit", None)
        sb = Sandbox(seed=seed, scale=scale, api_key=f"sk_test_{seed}_{uuid.uuid4().hex}",
                     faults=Faults(latency_s=latency_s), **kwargs)  # fmt: skip
        server = serve(sb)
        servers.append(server)
        return Served(sb, server.url)

    yield start
    for server in servers:
        server.stop()


def project(path: Path, toml: str = "", *, files: dict[str, str] | None = None) -> Path:
    """A project directory holding ``pipelines.toml`` (and e.g. ``.dlt/secrets.toml``)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "pipelines.toml").write_text(toml)
    for name, text in (files or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def ok(done: subprocess.CompletedProcess, code: int = 0) -> subprocess.CompletedProcess:
    assert done.returncode == code, (done.returncode, done.stderr[-3000:], done.stdout[-2000:])
    assert "Traceback" not in done.stderr
    return done


def one_error(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Exactly one ``error:`` line holding ``words``, exit ``code``, no traceback."""
    assert done.returncode == code, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


@dataclass
class Target:
    """Where a project's warehouse lives: DuckDB in the project, or a Postgres schema."""

    destination: str
    dataset: str
    toml: str
    env: dict[str, str]

    def cfg(self, project_dir: Path, connection: str | None = None) -> WarehouseConfig:
        base = WarehouseConfig(
            destination=self.destination, dataset=self.dataset,
            duckdb_path=project_dir / "custify.duckdb",
            credentials=POSTGRES_DSN if self.destination == "postgres" else None,
            pipelines_dir=project_dir.parent / f"reader-{uuid.uuid4().hex[:6]}",
        )  # fmt: skip
        return base.for_connection(connection)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "duckdb":
        yield Target("duckdb", "custify", "", {})
        return
    request.getfixturevalue("postgres_available")
    dataset = f"d_{uuid.uuid4().hex[:10]}"
    toml = f'[warehouse]\ndestination = "postgres"\ndataset = "{dataset}"\n'
    yield Target("postgres", dataset, toml, {"DESTINATION__POSTGRES__CREDENTIALS": POSTGRES_DSN})
    wh = Warehouse(WarehouseConfig(destination="postgres", dataset=dataset,
                                   credentials=POSTGRES_DSN))  # fmt: skip
    rows = wh.query_rows(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
        (f"%{dataset}%",),
    )
    for (schema,) in rows:
        wh.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def wait_for(predicate: Any, timeout_s: float = 60.0) -> None:
    """Poll until ``predicate()`` holds (a subprocess reached a point), or fail the test."""
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the awaited state never came"
        time.sleep(0.05)
