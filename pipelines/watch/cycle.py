"""One ``run`` cycle: extract what is due, then push the connection's syncs, under one lock.

The cycle holds its connection's run lock from the extract's first request to the push's
last outcome (``warehouse.lock.run_lock`` is re-entrant within the process, so the extract
and push inside take it again without waiting on themselves): no other extract or push of
this connection can slip between them and make the syncs act on a warehouse they did not
just read. The push runs the syncs of this connection (``[syncs.*] connection``; the default
connection's syncs name none) wave by wave in ``after`` order (``reverse_etl.order``).

The cycle drives both directions, so it is the one place in ``pipelines`` that calls the
reverse ETL; it imports it lazily and a caller may pass its own ``push`` function.

A sync that fails fails alone (its error is in the push report, exit status 1); an object
that fails fails alone (the extract report's ``failures``). Configuration errors and a
rejected key raise, as they do for ``extract`` and ``push``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from custify.client import CustifyClient
from custify.settings import ConnectionSettings, Settings
from models.clock import Clock, RealClock
from models.stop import StopFlag
from pipelines.options import ExtractOptions
from pipelines.run import ExtractReport, run_extract
from warehouse import WarehouseConfig
from warehouse.lock import run_lock


@dataclass
class CycleReport:
    number: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    extract: ExtractReport | None = None
    #: a ``reverse_etl.PushReport`` (None: the push was not due this cycle)
    push: Any = None
    #: objects scanned this cycle (None: every due object)
    objects: list[str] | None = None
    #: one line per failure of this cycle (failed objects, failed syncs, a lost connection)
    errors: list[str] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(self.extract.events.values()) if self.extract else 0

    @property
    def exit_code(self) -> int:
        codes = [0]
        if self.extract is not None:
            codes.append(self.extract.exit_code)
        if self.push is not None:
            codes.append(self.push.exit_code)
        if self.errors:
            codes.append(1)
        return max(codes)

    @property
    def seconds(self) -> float:
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()


@dataclass
class CycleInputs:
    """What every cycle of one ``run`` shares: settings, warehouse, clients, stop flag."""

    settings: Settings | ConnectionSettings
    warehouse_cfg: WarehouseConfig
    connection: str | None = None
    options: ExtractOptions | None = None
    #: a ``CustifyClient`` for the extract (None: each extract opens its own)
    client: CustifyClient | None = None
    #: ``connection name -> client`` for the push (None: the push opens its own)
    client_factory: Callable[[str | None], CustifyClient] | None = None
    clock: Clock = field(default_factory=RealClock)
    stop: StopFlag | None = None
    lock_wait_s: float = 0.0
    events_out: IO[str] | None = None
    push: Callable[..., Any] | None = None
    extract_progress: Callable[[Any], None] | None = None
    push_progress: Callable[..., None] | None = None

    def connection_name(self) -> str:
        name = self.connection
        if name is None:
            name = getattr(self.settings, "default", None) or "default"
        return name

    def target(self) -> WarehouseConfig:
        name = self.connection_name()
        datasets = getattr(self.settings, "datasets", {}) or {}
        return self.warehouse_cfg.for_connection(name, datasets.get(name))


def run_cycle(
    inputs: CycleInputs, number: int = 1, *, objects: list[str] | None = None,
    push: bool = True,
) -> CycleReport:  # fmt: skip
    """One cycle; ``objects`` limits the extract (default: what ``[extract.intervals]`` says
    is due), ``push=False`` skips the push (the watch pushes only when inputs changed)."""
    report = CycleReport(number, _utc(inputs.clock), objects=objects)
    with run_lock(inputs.target(), command="run", wait_s=inputs.lock_wait_s):
        if objects != []:  # an empty list: nothing changed, only the push is due
            report.extract = _extract(inputs, objects)
            report.errors.extend(report.extract.failures)
        if push:
            report.push = _push(inputs)
            report.errors.extend(s.error for s in report.push.syncs if s.error)
    report.finished_at = _utc(inputs.clock)
    return report


def _extract(inputs: CycleInputs, objects: list[str] | None) -> ExtractReport:
    return run_extract(
        inputs.settings, connection=inputs.connection, objects=objects,
        warehouse_cfg=inputs.warehouse_cfg, client=inputs.client, clock=inputs.clock,
        options=inputs.options, events_out=inputs.events_out, stop=inputs.stop,
        progress=inputs.extract_progress,
    )  # fmt: skip


def _push(inputs: CycleInputs) -> Any:
    push: Callable[..., Any]
    if inputs.push is not None:
        push = inputs.push
    else:
        from reverse_etl import run_push as push
    return push(
        inputs.settings, None, connection=inputs.connection_name(),
        warehouse_cfg=inputs.warehouse_cfg, client_factory=inputs.client_factory,
        clock=inputs.clock, stop=inputs.stop, progress=inputs.push_progress,
    )  # fmt: skip


def _utc(clock: Clock) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock.now(), dt.UTC)
