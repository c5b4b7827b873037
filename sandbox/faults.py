"""Fault knobs: the ways the real Custify misbehaves, switchable per test, between requests.

Every random decision comes from one RNG seeded from the sandbox seed, so a faulty run is
reproducible. A fault never corrupts state: a 5xx or a dropped connection is decided before
the request is applied, unless ``apply_then_drop`` is set, in which case the write is applied
and only the answer is lost (the request reached Custify, the client never heard back).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

#: Identifier fields a ``reject`` set is matched against.
REJECT_KEYS = ("id", "_id", "user_id", "email", "company_id", "externalId", "fileId", "name")

RejectRule = Callable[[str, dict], bool] | set | frozenset | list | tuple | None
#: A ``forbidden_paths`` entry: a path prefix (any method), or
#: ``{"path": ..., "method": "GET" (default: any), "match": "prefix" (default) | "exact"}``.
ForbidRule = str | dict
FORBID_KEYS = {"path", "method", "match"}
#: What happens to a custom attribute / event metadata value whose type differs from the one
#: the attribute's first value fixed (custify-api.md §1.4; Custify's answer is undocumented).
TYPE_MISMATCH_MODES = ("reject", "coerce", "ignore")


@dataclass
class Faults:
    """Mutable knobs; see the sandbox section of docs/architecture.md for each one."""

    #: fraction of requests answered 500/502/503 (decided before the request is applied)
    error_rate_5xx: float = 0.0
    #: seconds added to every request through ``clock.sleep`` (free on a FakeClock)
    latency_s: float = 0.0
    #: fraction of requests whose connection is dropped without an answer
    drop_rate: float = 0.0
    #: fraction of 200 JSON answers whose body is cut short
    malformed_json_rate: float = 0.0
    #: after each list page, bump ``updated_at`` of this many random records of that object
    mutate_while_paging: int = 0
    #: > 0: about this many generated rows share each timestamp, and write stamps are cut to
    #: whole seconds, so many records carry the same ``updated_at``
    timestamp_ties: int = 0
    #: per-record writes matching this predicate ``(action, payload) -> bool`` or carrying an
    #: identifier in this set get 400 "rejected by sandbox fault"
    reject: RejectRule = None
    #: clock seconds before a batch job may complete (it also needs one poll first)
    batch_delay_s: float = 0.0
    #: requests answered 403: path prefixes, or method + exact/prefix rules (``ForbidRule``)
    forbidden_paths: list[ForbidRule] = field(default_factory=list)
    #: a 5xx/drop decision applies the write first, then loses the answer
    apply_then_drop: bool = False
    #: the next N requests are answered 429 (see ``storm``)
    storm_remaining: int = 0
    #: Retry-After sent with storm 429s
    storm_retry_after: int = 1
    # -- list behaviours the notes leave open (§1.7, §10, §19): each one a plausible answer --
    #: object -> most rows one page of its list serves whatever is asked; ``total`` stays the
    #: full count and page offsets follow the served size (a cap below the documented one)
    page_caps: dict[str, int] = field(default_factory=dict)
    #: objects whose list answers page 1 whatever ``page`` asks for
    ignore_page: set[str] = field(default_factory=set)
    #: objects whose list ignores ``sorting`` / ``sort``+``order`` and serves oldest first
    #: (whether every list honours a sort by ``updated_at`` is open, models/facts.py)
    ignore_sort: set[str] = field(default_factory=set)
    #: ``GET /file`` without ``companyId`` or ``peopleId`` answers 400 (§10 "Global list")
    unscoped_files_refused: bool = False
    # ---------------------------------------------------------------------------------------
    #: RNG seed; None = the sandbox seed
    seed: int | None = None

    # ---- the notes' unknowns (see sandbox/profiles.py for named sets of them) -------------
    #: a custom attribute / event metadata value of another type than the attribute's first
    #: value: "reject" (400 naming it), "coerce" (stored as its string form), "ignore" (200,
    #: the value is not stored)
    attribute_type_mismatch: str = "reject"
    #: this many pairs of people share one e-mail with different user_ids (§2 upsert rule 4);
    #: applied to the generated data, and to a running sandbox when raised
    shared_emails: int = 0
    #: a record that loses a reference to a deleted person or company gets a new updated_at
    #: (False: it keeps its own, so an incremental scan does not see the dropped link)
    cascade_bumps_updated_at: bool = True
    # -- unknowns: other plausible answers where the notes are silent (models/facts.py;
    # -- sandbox/unknowns.py applies them; docs/architecture.md "INF facts")
    #: POST /batch answered with this status (404, 405, 403 or 400) instead of 202
    batch_unavailable: int | None = None
    #: GET /batch/{id} in another plausible format: "default", "jobs" (boolean ``done``,
    #: reports under ``jobs``), "nested" (under ``data``, reports named by identifier in
    #: another order), or "opaque" (a format no parser can read)
    batch_status_shape: str = "default"
    #: POST /ticket with a known externalId creates a second ticket instead of updating it
    ticket_create_duplicates: bool = False
    #: which time-track path spellings exist: "dash" (/time-track), "underscore" or "both"
    time_track_spelling: str = "both"
    #: where time-track updates and deletes take the id: "query" (?id=), "path" or "both"
    time_track_id_in: str = "both"
    _rng: random.Random = field(default_factory=random.Random, init=False, repr=False)
    _lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("forbidden_paths", "attribute_type_mismatch", "shared_emails"):
            setattr(self, name, _checked(name, getattr(self, name)))

    def bind(self, seed: int) -> None:
        """Seed the RNG (the Sandbox calls this with its seed unless ``seed`` was given)."""
        self._rng.seed(f"faults:{self.seed if self.seed is not None else seed}")

    def storm(self, n: int, retry_after: int = 1) -> None:
        """Answer the next ``n`` requests with 429 (a burst from another client on the account)."""
        self.storm_remaining = int(n)
        self.storm_retry_after = int(retry_after)

    def take_storm(self) -> bool:
        with self._lock:
            if self.storm_remaining > 0:
                self.storm_remaining -= 1
                return True
            return False

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``; draws nothing when the knob is off."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def pick(self, options: Iterable[Any]) -> Any:
        with self._lock:
            return self._rng.choice(list(options))

    def sample(self, population: list, k: int) -> list:
        with self._lock:
            return self._rng.sample(population, min(k, len(population)))

    def forbids(self, path: str, method: str | None = None) -> bool:
        """Does a ``forbidden_paths`` rule answer this request with 403?"""
        return any(_forbid_matches(rule, method, path) for rule in self.forbidden_paths or ())

    def rejects(self, action: str, payload: dict) -> bool:
        """Does the ``reject`` knob match this per-record write?"""
        rule = self.reject
        if rule is None:
            return False
        if callable(rule):
            return bool(rule(action, payload))
        values = {str(payload.get(k)) for k in REJECT_KEYS if payload.get(k) is not None}
        return bool(values & {str(v) for v in rule})

    def update(self, **knobs: Any) -> None:
        """Set knobs by name (the admin endpoint's JSON); unknown names raise ValueError."""
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        checked: dict[str, Any] = {}
        for name, value in knobs.items():  # check every value first: all or nothing changes
            if name != "storm" and name not in known:
                raise ValueError(f"unknown fault knob {name!r}; known: {sorted(known)}")
            if name in ("reject", "ignore_page", "ignore_sort") and isinstance(value, list):
                value = set(value)
            checked[name] = _checked(name, value)
        for name, value in checked.items():
            if name == "storm":
                self.storm(int(value))
            else:
                setattr(self, name, value)

    def snapshot(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        out["ignore_page"] = sorted(out["ignore_page"])
        out["ignore_sort"] = sorted(out["ignore_sort"])
        out["page_caps"] = dict(out["page_caps"])
        rule = out["reject"]
        out["reject"] = (
            sorted(map(str, rule))
            if isinstance(rule, set | frozenset | list | tuple)
            else ("<callable>" if rule is not None else None)
        )
        return out


def _forbid_matches(rule: ForbidRule, method: str | None, path: str) -> bool:
    if isinstance(rule, str):
        return path.startswith(rule)  # the original form: a prefix, whatever the method
    want = rule.get("method")
    if want and method and want.upper() != method.upper():
        return False
    target = rule["path"]
    if rule.get("match", "prefix") == "exact":
        return path.rstrip("/") == target.rstrip("/")  # the router accepts a trailing slash
    return path.startswith(target)


def _checked(name: str, value: Any) -> Any:
    """Refuse knob values the sandbox could not act on, naming the knob."""
    if name == "forbidden_paths":
        for rule in value or ():
            if isinstance(rule, str):
                continue
            if not isinstance(rule, dict) or not isinstance(rule.get("path"), str):
                raise ValueError(f"forbidden_paths: each rule is a path prefix or a dict with a "
                                 f"path (got {rule!r})")  # fmt: skip
            if set(rule) - FORBID_KEYS or rule.get("match", "prefix") not in ("prefix", "exact"):
                raise ValueError(f"forbidden_paths: rule keys are path, method, match "
                                 f"(prefix|exact) (got {rule!r})")  # fmt: skip
        return list(value or ())
    if name == "attribute_type_mismatch" and value not in TYPE_MISMATCH_MODES:
        raise ValueError(f"attribute_type_mismatch must be one of {', '.join(TYPE_MISMATCH_MODES)}"
                         f" (got {value!r})")  # fmt: skip
    if name == "shared_emails" and (type(value) is not int or value < 0):
        raise ValueError(f"shared_emails must be a whole number >= 0 (got {value!r})")
    if name == "page_caps":
        return {str(k): int(v) for k, v in dict(value or {}).items()}
    return value
