"""The budget-aware poll scheduler of ``run --watch``: when to look at which object.

Custify has no change feed, so a watch polls. Scanning every object every few seconds would
spend the account's whole rate budget (shared with pushes and every other tool on the key);
so the watch asks each object one cheap question instead, a **probe**: page 1 of its list,
sorted by ``updated_at`` descending, ``PROBE_ROWS`` rows (one request per list variant,
custify-api.md §1.7). The probe's signature (the ids and stamps of those rows, and ``total``)
changes whenever a record is created, updated or deleted near the top; only then is the
object scanned (incrementally, from its cursor, in the next cycle).

Safety where the notes are INF (sorting notes and tickets by ``updated_at`` through
``sort``/``order``, §1.7 and §17): a probe whose rows are not in descending order proves the
server ignored the sort, and that object is no longer probed but scanned every
``max_interval_s``. Objects that cannot be probed at all (no ``updated_at`` sort: files,
surveys; listed per parent: customer objectives) are scanned on a schedule: every
``max_interval_s``, or their ``[extract.intervals]`` when that is longer. And every probed
object is also scanned at least every ``max_interval_s`` whatever its probes said, which
catches a write that became visible late, below the top.

**Budget.** Probes may spend ``budget_share`` of the account's limit (``[custify]
rate_limit`` per ``rate_window_s``); they aim at ``TARGET`` of it, leaving the rest of the
share as headroom. The share is divided by weight: an object's weight is its recent change
rate (an exponentially decaying count, horizon ``RATE_HORIZON_S``) plus a floor, so objects
that change often are probed often (down to ``min_interval_s``, or their
``[extract.intervals]``), quiet ones less (up to ``max_interval_s``). Budget an object cannot
use below its minimum interval goes to the others ("water-filling").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from custify.client import CustifyClient
from models.rows import CustifyObject
from models.types import SortStyle
from pipelines.scan import parse_ts
from pipelines.watch.options import WatchOptions

PROBE_ROWS = 3
TARGET = 0.8
RATE_HORIZON_S = 600.0
#: the weight of an object that never changed: one change an hour
RATE_FLOOR = 1 / 3600


@dataclass
class ObjectPoll:
    """What the scheduler knows about one object."""

    name: str
    #: requests one probe costs (one per list variant); 0 = scanned on a schedule
    probe_cost: int
    min_interval: float
    interval: float
    next_at: float = 0.0
    #: decaying changes per second (the weight of the budget split)
    rate: float = 0.0
    polls: int = 0
    changes: int = 0
    last_poll_at: float | None = None
    last_change_at: float | None = None
    last_scan_at: float | None = None
    signature: tuple | None = None
    #: why it is not probed (no updated_at sort, per parent, the server ignored the sort)
    why_scheduled: str = ""

    @property
    def probed(self) -> bool:
        return self.probe_cost > 0 and not self.why_scheduled


def probe_cost(obj: CustifyObject) -> tuple[int, str]:
    """``(requests per probe, why it cannot be probed)`` from the registry row."""
    if obj.per_parent is not None:
        return 0, f"listed per {obj.per_parent[0]}"
    if obj.cursor_field != "updated_at" or obj.sort_style is SortStyle.NONE:
        return 0, "no updated_at sort"
    return max(1, len(obj.variants)), ""


@dataclass
class Scheduler:
    objects: list[CustifyObject]
    options: WatchOptions
    #: ``[extract.intervals]``: seconds an object must rest between scans
    rest_s: dict[str, float] = field(default_factory=dict)
    #: the account's limit in requests per second (``rate_limit / rate_window_s``)
    limit_rps: float = 10.0
    polls: dict[str, ObjectPoll] = field(default_factory=dict)

    def __post_init__(self) -> None:
        opts = self.options
        for obj in self.objects:
            cost, why = probe_cost(obj)
            rest = self.rest_s.get(obj.name, 0.0)
            lo = max(opts.min_interval_s, rest)
            interval = max(opts.max_interval_s, rest) if why else lo
            self.polls[obj.name] = ObjectPoll(obj.name, cost, lo, interval, why_scheduled=why)
        self.replan()

    @property
    def budget_rps(self) -> float:
        return TARGET * self.options.budget_share * self.limit_rps

    # -- the budget split ---------------------------------------------------------------------
    def replan(self) -> None:
        """Probe intervals from the weights, within each object's bounds and the budget."""
        probed = [p for p in self.polls.values() if p.probed]
        budget = self.budget_rps
        free = list(probed)
        hi = self.options.max_interval_s
        while free:
            weight = sum(p.rate + RATE_FLOOR for p in free)
            spend = max(budget, 1e-9)
            fixed = False
            for p in list(free):
                ideal = p.probe_cost * weight / (spend * (p.rate + RATE_FLOOR))
                bound = p.min_interval if ideal < p.min_interval else (
                    max(hi, p.min_interval) if ideal > max(hi, p.min_interval) else None)  # fmt: skip
                if bound is not None:
                    p.interval = bound
                    budget -= p.probe_cost / bound
                    free.remove(p)
                    fixed = True
            if not fixed:
                for p in free:
                    p.interval = p.probe_cost * weight / (spend * (p.rate + RATE_FLOOR))
                break

    def planned_rps(self) -> float:
        """Requests per second the probes are planned to spend."""
        return sum(p.probe_cost / p.interval for p in self.polls.values() if p.probed)

    # -- one poll -----------------------------------------------------------------------------
    def due(self, now: float) -> list[ObjectPoll]:
        return [p for p in self.polls.values() if p.next_at <= now]

    def next_due_at(self) -> float:
        return min((p.next_at for p in self.polls.values()), default=math.inf)

    def probe(self, client: CustifyClient, poll: ObjectPoll, obj: CustifyObject) -> bool:
        """Ask the object's newest rows; True when they differ from the last answer."""
        signature: list[Any] = []
        for variant in obj.variants or (None,):
            page = client.list_page(obj, 1, page_size=PROBE_ROWS, sort_desc=True,
                                    sort_by=obj.cursor_field, variant=variant)  # fmt: skip
            stamps = [parse_ts(r.get(obj.cursor_field or "")) for r in page.rows]
            known = [s for s in stamps if s is not None]
            if known != sorted(known, reverse=True):  # the server ignored the sort (INF)
                poll.why_scheduled = "the list ignored the updated_at sort"
                poll.interval = max(self.options.max_interval_s, poll.min_interval)
                return True  # (the budget is split again when the answer is observed)
            signature.append((page.total, tuple((str(r.get(obj.id_field)), s)
                                                for r, s in zip(page.rows, stamps, strict=True))))  # fmt: skip
        changed = poll.signature is None or tuple(signature) != poll.signature
        poll.signature = tuple(signature)
        return changed

    def observed(self, poll: ObjectPoll, changed: bool, now: float) -> None:
        """Record a poll's answer: update the change rate and plan the next poll."""
        if poll.last_poll_at is not None:
            poll.rate *= math.exp(-(now - poll.last_poll_at) / RATE_HORIZON_S)
        if changed and poll.polls:  # the first answer is only the starting point
            poll.rate += 1 / RATE_HORIZON_S
            poll.changes += 1
            poll.last_change_at = now
        poll.polls += 1
        poll.last_poll_at = now
        self.replan()
        poll.next_at = now + poll.interval

    def scanned(self, names: Iterable[str], now: float) -> None:
        for name in names:
            if name in self.polls:
                self.polls[name].last_scan_at = now

    def stale(self, now: float) -> list[str]:
        """Probed objects not scanned for ``max_interval_s``: scanned whatever the probe says
        (a write that became visible late, below the top, is caught this way)."""
        limit = self.options.max_interval_s
        return [p.name for p in self.polls.values()
                if p.probed and p.last_scan_at is not None and now - p.last_scan_at >= limit]  # fmt: skip
