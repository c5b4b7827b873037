"""``run --watch``: one long-lived process repeating cycles until stopped or ``--duration``.

Each turn: probe the objects that are due (``scheduler``), scan the ones whose probe
changed (plus those due on their schedule, and probed objects not scanned for
``max_interval_s``), and push when the extract found events or ``push_interval_s`` passed
(syncs over tables that other tools fill change without an event). Then sleep until the next
object is due.

Stopping: SIGTERM or Ctrl-C set the stop flag; the extract stops before its next request
and loads nothing half-done, the push finishes the wave in flight and records it (both
raise ``Interrupted`` at that safe point); the watch then writes its health and returns exit
0, because stopping is what was asked. ``--duration`` ends the same way after the cycle in
progress.

Failures: an object or a sync that fails, fails alone (the cycle's errors, in ``status``). A
lost Custify connection, Custify failing past the retries or another run holding the lock
backs off (doubling from ``min_interval_s`` up to ``max_interval_s``) and resumes. Bad
configuration and a rejected key end the watch (exit 2), as for every command; so does a
connection that never answered at all on the first cycle.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custify.client import CustifyClient
from custify.errors import AuthError, ConfigError, ConnectFailed, CustifyError
from custify.settings import ConnectionSettings
from models.registry import get_object
from models.stop import Interrupted
from pipelines.options import ExtractOptions
from pipelines.watch.cycle import CycleInputs, CycleReport, run_cycle
from pipelines.watch.health import Health, health_path
from pipelines.watch.options import WatchOptions
from pipelines.watch.scheduler import Scheduler
from pipelines.watch.webhook import Delivery, dead_count, webhook_secret
from warehouse import SessionWarehouse, WarehouseUnavailable
from warehouse.lock import RunLocked, run_lock

log = logging.getLogger("pipelines.watch")
#: longest single sleep, so a stop or the deadline is noticed quickly
NAP_S = 0.2
#: probes of one turn in flight at once
PROBES_IN_FLIGHT = 8


@dataclass
class WatchReport:
    cycles: int
    seconds: float
    events: int
    errors: int
    stopped_by: str

    @property
    def exit_code(self) -> int:
        return 0

    def describe(self) -> str:
        return (f"{self.cycles} cycles in {self.seconds:.0f} s, {self.events} events, "
                f"{self.errors} failed cycles; stopped by {self.stopped_by}")  # fmt: skip


def run_watch(
    inputs: CycleInputs, *, duration_s: float | None = None, options: WatchOptions | None = None,
    state_dir: Path | None = None, webhook_transport: Any = None,
) -> WatchReport:  # fmt: skip
    raw = getattr(inputs.settings, "raw", None)
    opts = options or WatchOptions.from_raw(raw)
    extract_opts = inputs.options or ExtractOptions.from_raw(raw)
    own_client = inputs.client is None
    client = inputs.client = inputs.client or _client(inputs)
    if inputs.client_factory is None:  # one client, one budget, one request count
        inputs.client_factory = lambda _name: client
    try:
        return _Watch(inputs, opts, extract_opts, duration_s, state_dir, webhook_transport).run()
    finally:
        if own_client:
            client.close()


def _client(inputs: CycleInputs) -> CustifyClient:
    from warehouse import postgres_dsn

    settings = inputs.settings
    conn = settings if isinstance(settings, ConnectionSettings) \
        else settings.connection(inputs.connection)  # fmt: skip
    return CustifyClient(conn, clock=inputs.clock, postgres_dsn=postgres_dsn(inputs.target()))


class _Watch:
    def __init__(self, inputs: CycleInputs, opts: WatchOptions, extract_opts: ExtractOptions,
                 duration_s: float | None, state_dir: Path | None,
                 webhook_transport: Any = None) -> None:  # fmt: skip
        self.inputs, self.opts, self.clock = inputs, opts, inputs.clock
        if inputs.client is None:
            raise ValueError("a watch needs its client (run_watch opens one)")
        self.client: CustifyClient = inputs.client
        objects = list(extract_opts.selected(None))
        conn = self.client.settings
        limit_rps = conn.rate_limit / conn.rate_window_s
        rest = {o.name: extract_opts.interval(o.name) for o in objects}
        self.scheduler = Scheduler(objects, opts, rest_s=rest, limit_rps=limit_rps)
        self.limit_per_min = limit_rps * 60
        self.start = self.clock.now()
        self.deadline = None if duration_s is None else self.start + duration_s
        state = state_dir or inputs.target().state_dir or Path(".custify-sync")
        self.health = Health(health_path(state, inputs.connection_name()),
                             inputs.connection_name(), started_at=self.start)  # fmt: skip
        self.delivery = Delivery(opts, webhook_secret() if opts.webhook_url else None,
                                 transport=webhook_transport)  # fmt: skip
        self.backlog = 0
        self.pool = ThreadPoolExecutor(PROBES_IN_FLIGHT, thread_name_prefix="probe")
        self.cycles = self.events = self.failed = 0
        self.last_push_at: float | None = None
        self.backoff = 0.0
        self.answered = False

    def run(self) -> WatchReport:
        stopped_by = "duration"
        try:
            while not self._ending():
                self._turn()
                self._sleep(self._next_at())
            if self.inputs.stop is not None and self.inputs.stop.is_set():
                stopped_by = self.inputs.stop.reason or "stop"
        except Interrupted as exc:
            stopped_by = exc.reason
        finally:
            self.health.state = "stopped"
            self._write_health()
            self.delivery.close()
            self.pool.shutdown(wait=True)
        return WatchReport(self.cycles, self.clock.now() - self.start, self.events, self.failed,
                           stopped_by)  # fmt: skip

    # -- one turn ------------------------------------------------------------------------------
    def _turn(self) -> None:
        self._turn_cycle()
        if self.delivery.enabled and self.answered:
            self._deliver()

    def _deliver(self) -> None:
        """Send the webhook backlog, under the run lock (the queue lives in the warehouse)."""
        now = self.clock.now()
        if now < self.delivery.retry_at:
            return
        target = self.inputs.target()
        try:
            with run_lock(target, command="run --watch", wait_s=self.inputs.lock_wait_s), \
                    SessionWarehouse(target) as wh:  # fmt: skip
                self.backlog = self.delivery.flush(wh, now, self.start)
                self.health.webhook_dead = dead_count(wh)
        except (RunLocked, WarehouseUnavailable) as exc:
            self.health.error(f"webhook: {exc}")
        self.health.webhook_backlog = self.backlog
        self._write_health()

    def _turn_cycle(self) -> None:
        now = self.clock.now()
        try:
            scans = None if not self.answered else self._poll(now)
            push = bool(scans) or self._push_due(now)  # a changed object: push what it brings
            if scans == [] and not push:
                return
            cycle = run_cycle(self.inputs, self.cycles + 1, objects=scans, push=push)
        except (AuthError, RunLocked, WarehouseUnavailable, CustifyError) as exc:
            self._failed(exc)
            return
        self._done(cycle, scans, push)

    def _poll(self, now: float) -> list[str]:
        sched, client = self.scheduler, self.client
        if self.inputs.stop is not None:
            self.inputs.stop.check()
        due = sched.due(now)
        # the probes go out together (through the one client and its rate budget): a turn
        # costs one round trip, not one per object
        answers = list(self.pool.map(
            lambda poll: sched.probe(client, poll, get_object(poll.name)) if poll.probed
            else True, due))  # fmt: skip
        scans: list[str] = []
        for poll, changed in zip(due, answers, strict=True):
            sched.observed(poll, changed, self.clock.now())
            log.debug("watch: %s %s, next in %.1f s (%s)", poll.name,
                      "changed" if changed else "unchanged", poll.interval,
                      "probe" if poll.probed else poll.why_scheduled)  # fmt: skip
            if changed:
                scans.append(poll.name)
        stale = [n for n in sched.stale(now) if n not in scans]
        if scans or stale:
            log.info("watch: scan %s%s", ", ".join(scans) or "-",
                     f" (not scanned for {self.opts.max_interval_s:g} s: {', '.join(stale)})"
                     if stale else "",
                     extra={"step": "watch", "scan": scans, "stale": stale})  # fmt: skip
        return scans + stale

    def _push_due(self, now: float) -> bool:
        if not self.answered or self.last_push_at is None:
            return True
        return now - self.last_push_at >= self.opts.push_interval_s

    def _done(self, cycle: CycleReport, scans: list[str] | None, pushed: bool) -> None:
        now = self.clock.now()
        first = not self.answered
        self.answered, self.backoff = True, 0.0
        if first:  # the first cycle extracted what [extract.intervals] said was due
            reports = cycle.extract.objects.values() if cycle.extract else []
            scans = [r.object for r in reports if r.status == "done"]
            for poll in self.scheduler.polls.values():
                poll.next_at = now if poll.probed else now + poll.interval
        self.scheduler.scanned(scans or [], now)
        if pushed:
            self.last_push_at = now
            self.health.pending_pushes = _pending(cycle)
        self.cycles += 1
        self.events += cycle.events
        for line in cycle.errors:
            self.health.error(line)
        log.info("watch: cycle %d, %d events, exit %d, %.1f s", self.cycles, cycle.events,
                 cycle.exit_code, cycle.seconds,
                 extra={"step": "cycle", "cycle": self.cycles, "events": cycle.events,
                        "exit_code": cycle.exit_code, "objects": scans})  # fmt: skip
        self.health.cycles, self.health.last_exit = self.cycles, cycle.exit_code
        self.health.last_cycle_at, self.health.last_cycle_s = now, cycle.seconds
        self.health.events = self.events
        self._write_health()

    def _failed(self, exc: Exception) -> None:
        fatal = isinstance(exc, AuthError) or (
            isinstance(exc, ConfigError) and not (isinstance(exc, ConnectFailed) and self.answered)
        )
        if fatal:
            raise exc
        self.failed += 1
        self.backoff = min(
            max(self.backoff * 2, self.opts.min_interval_s), self.opts.max_interval_s
        )
        line = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        self.health.error(line)
        log.warning("watch: cycle failed (%s); again in %.0f s", line, self.backoff,
                    extra={"step": "watch", "error": line, "backoff_s": self.backoff})  # fmt: skip
        self._write_health()

    # -- time ----------------------------------------------------------------------------------
    def _next_at(self) -> float:
        now = self.clock.now()
        if self.backoff:
            return now + self.backoff
        at = self.scheduler.next_due_at()
        if self.backlog:
            at = min(at, self.delivery.retry_at)
        if self.last_push_at is not None:
            at = min(at, self.last_push_at + self.opts.push_interval_s)
        return max(at, now)

    def _ending(self) -> bool:
        stop = self.inputs.stop
        if stop is not None and stop.is_set():
            return True
        return self.deadline is not None and self.clock.now() >= self.deadline

    def _sleep(self, until: float) -> None:
        if self.deadline is not None:
            until = min(until, self.deadline)
        while not self._ending():
            left = until - self.clock.now()
            if left <= 0:
                return
            self.clock.sleep(min(NAP_S, left))

    def _write_health(self) -> None:
        now = self.clock.now()
        stats = self.client.stats.snapshot()
        self.health.count_requests(now, int(stats["requests"]))
        self.health.budget_per_min = self.health.requests_per_min / self.limit_per_min
        self.health.update(self.scheduler, now)
        try:
            self.health.write(now)
        except OSError as exc:  # health is for the operator; a full disk must not stop syncs
            log.warning("watch: cannot write %s: %s", self.health.path, exc)


def _pending(cycle: CycleReport) -> int:
    if cycle.push is None:
        return 0
    return sum(s.failed + s.unconfirmed for s in cycle.push.syncs)
