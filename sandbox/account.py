"""``Account``: one offline Custify account's state and knobs, what every route works on.

It holds the registry rows it serves (``models.registry`` unless others are given), the store
and its ids, the clock, the fault knobs, the rate window, the journal and the state lock,
with the few public methods routes and the admin surface use (``now_iso``, ``new_id``,
``locked``, ``configure``, ``check_reject``, ``stamp_and_store``). The request pipeline on top
of it is ``sandbox.app.Sandbox``; route handlers depend on this class only.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import httpx

from models.clock import RealClock
from models.registry import OBJECTS, Action, CustifyObject
from sandbox import cascade, profiles
from sandbox.faults import Faults
from sandbox.generator import SharedEmails, generate
from sandbox.journal import Journal
from sandbox.ratewindow import RateWindow
from sandbox.store import Store
from sandbox.util import ObjectIds, Req, iso_ms, rejected

DEFAULT_API_KEY = "sk_sandbox_0123456789abcdef"
#: Tables beyond the registry's list objects: the account's Custify users (owners, assignees).
EXTRA_TABLES = ("users",)


class Account:
    """The state behind the sandbox's API; see the sandbox section of docs/architecture.md.

    ``objects`` replaces the registry rows served (default ``models.registry.OBJECTS``): every
    list path, write endpoint and store table follows them.
    """

    def __init__(self, *, seed: int = 0, scale: float = 1.0, api_key: str = DEFAULT_API_KEY,
                 rate_limit: int | None = 100, rate_window_s: float = 10.0, clock: Any = None,
                 faults: Faults | None = None, sizes: dict[str, int] | None = None,
                 profile: str | None = None,
                 objects: Iterable[CustifyObject] | None = None) -> None:  # fmt: skip
        rows = tuple(OBJECTS if objects is None else objects)
        self.registry: Mapping[str, CustifyObject] = MappingProxyType({o.name: o for o in rows})
        self.actions: Mapping[str, Action] = MappingProxyType(
            {a.name: a for o in rows for a in o.actions}
        )
        self.seed, self.scale, self.api_key = seed, scale, api_key
        self.clock = clock if clock is not None else RealClock()
        self.faults = faults if faults is not None else Faults()
        #: the last profile applied (sandbox/profiles.py), shown by ``GET /_sandbox/info``
        self.profile: str | None = None
        if profile is not None:  # before generating: a profile may shape the generated data
            self.faults.update(**profiles.knobs(profile))
            self.profile = profile
        self.faults.bind(seed)
        self.window = RateWindow(rate_limit, rate_window_s)
        self.journal = Journal()
        self._ids = ObjectIds(seed)
        self.lock = threading.RLock()
        tables = tuple(o.name for o in rows if o.list_path) + EXTRA_TABLES
        self.store = Store(stamp=self.now_iso, new_id=self.new_id, lock=self.lock, seed=seed,
                           cascade_bumps=lambda: self.faults.cascade_bumps_updated_at,
                           tables=tables, after_delete=cascade.Cascade(rows))  # fmt: skip
        generate(self.store, rows, seed=seed, scale=scale, now=self.clock.now(), ids=self._ids,
                 ties=self.faults.timestamp_ties, sizes=sizes)  # fmt: skip
        self.store.observe_attributes()  # the generated values fixed their attributes' types
        self.shared_emails = SharedEmails(seed)
        self.shared_emails.grow(self.store, self.faults.shared_emails, bump=False)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state lock (re-entrant): routes run under it, and so do admin calls."""
        with self.lock:
            yield

    def configure(self, **knobs: Any) -> None:
        """Set knobs by name, as ``POST /_sandbox/faults`` does: ``profile`` (its knobs first,
        the other names given win), ``rate_limit``, then any ``Faults`` knob. Knobs that
        shape the data (``shared_emails``) are applied to the running account at once."""
        with self.lock:
            name = knobs.pop("profile", None)
            if name is not None:
                knobs = {**profiles.knobs(name), **knobs}
            rate_limit = knobs.pop("rate_limit", self.rate_limit)
            self.faults.update(**knobs)
            self.rate_limit = rate_limit
            if name is not None:
                self.profile = name
            try:
                self.shared_emails.grow(self.store, self.faults.shared_emails, bump=True)
            except ValueError:
                self.faults.shared_emails = len(self.shared_emails.pairs)
                raise

    @property
    def rate_limit(self) -> int | None:
        return self.window.limit

    @rate_limit.setter
    def rate_limit(self, value: int | None) -> None:
        self.window.limit = value

    def now_iso(self) -> str:
        """A write's timestamp; whole seconds under the ``timestamp_ties`` fault."""
        t = self.clock.now()
        return iso_ms(math.floor(t) if self.faults.timestamp_ties else t)

    def new_id(self) -> str:
        with self.lock:
            return self._ids.new(self.clock.now())

    def authorized(self, request: httpx.Request) -> bool:
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        return scheme.lower() == "bearer" and key.strip() == self.api_key

    # ---- what every write does ------------------------------------------------------------
    def check_reject(self, action: Action, req: Req, body: object) -> None:
        """The ``reject`` fault: a 400 for matching per-record writes, before anything changes."""
        payload = {**req.query, **req.params, **(body if isinstance(body, dict) else {})}
        if self.faults.rejects(action.name, payload):
            raise rejected()

    def stamp_and_store(self, obj: str, rec: dict, creating: bool) -> dict:
        """Set ``id``/``created_at`` on creation and ``updated_at`` always, then store."""
        now = self.now_iso()
        if creating:
            rec["id"] = self.new_id()
            rec["created_at"] = now
        rec["updated_at"] = now
        self.store.table(obj).put(rec)
        return rec
