"""Extract options: the ``[extract]`` section of pipelines.toml, validated once.

Why each knob exists (docs/custify-api.md, and the hazards and performance model of docs/architecture.md):

- ``overlap_s``: the incremental scan re-reads this many seconds below the stored cursor, so
  timestamp ties and rows that moved while a previous scan paged are caught again; merge on id
  makes the re-read free of duplicates (§17 "Incremental strategy", step 1).
- ``intervals``: per-object polling intervals in seconds. Customer objectives have no global
  list and cost one request per company per scan (§14), so they default to a longer interval.
- ``batch_rows``: rows per Arrow batch handed to dlt (memory stays flat however big the list).
- ``page_window``: pages of one full scan in flight at once (``total`` is known after page 1).
- ``delete_mode`` / ``deleted_column``: what reconcile does to vanished records (deletes are
  invisible to polling and permanent in Custify, §2/§3: a soft mark by default).
- ``exclude``: objects turned off for good (a key or plan that cannot read them, §1.2): no
  request is sent for them and they are not reported as failures. Objects listed under an
  excluded one (responses under surveys, comments under notes or tasks) are turned off too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from custify.errors import ConfigError
from models.registry import EXTRACTED, CustifyObject

#: seconds re-read below the stored cursor (§17: "e.g. 5 min")
DEFAULT_OVERLAP_S = 300.0
#: objectives cost one request per company (§14): poll them every 6 h unless asked for
DEFAULT_INTERVALS: Mapping[str, float] = MappingProxyType({"customer_objectives": 6 * 3600.0})
DELETE_MODES = ("soft", "hard")
#: a list read per parent because its unscoped form was refused (files, §10/§19) tries the
#: unscoped form again after this long (and on --full-refresh)
RETRY_UNSCOPED_S = 7 * 86_400.0


class UnknownObjectError(ConfigError):
    """An object name that the ELT does not extract; the message lists the valid ones."""


@dataclass(frozen=True)
class ExtractOptions:
    overlap_s: float = DEFAULT_OVERLAP_S
    batch_rows: int = 5000
    page_window: int = 16
    intervals: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    delete_mode: str = "soft"
    deleted_column: str = "_custify_deleted_at"
    #: Arrow batches buffered per object between the scan threads and dlt
    queue_batches: int = 4
    #: cap on items per page (None: each endpoint's documented maximum, §1.7); small pages
    #: make page-shift hazards reproducible in tests
    page_size: int | None = None
    #: objects never extracted (0 requests), e.g. ``["files"]`` for a key that cannot read them
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = "[extract]"
        self._check_exclude()
        if not isinstance(self.overlap_s, int | float) or self.overlap_s < 0:
            raise ConfigError(f"{where} overlap_s must be a number of seconds >= 0")
        if self.page_size is not None and (
            isinstance(self.page_size, bool)
            or not isinstance(self.page_size, int)
            or self.page_size < 1
        ):
            raise ConfigError(f"{where} page_size must be a positive integer")
        for name in ("batch_rows", "page_window", "queue_batches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where} {name} must be a positive integer, got {value!r}")
        if self.delete_mode not in DELETE_MODES:
            raise ConfigError(f"{where} delete_mode must be soft or hard, got {self.delete_mode!r}")
        from warehouse.config import WarehouseConfigError, check_identifier

        try:
            check_identifier(self.deleted_column, f"{where} deleted_column")
        except WarehouseConfigError as exc:
            raise ConfigError(str(exc)) from None
        for name, seconds in self.intervals.items():
            selected_objects([name])
            if not isinstance(seconds, int | float) or seconds < 0:
                raise ConfigError(f"{where} intervals.{name} must be seconds >= 0")

    def _check_exclude(self) -> None:
        names = self.exclude
        listed = isinstance(names, list | tuple | set | frozenset)
        if not listed or not all(isinstance(n, str) for n in names):
            raise ConfigError('[extract] exclude must be a list of object names, e.g. ["files"]')
        known = {o.name for o in EXTRACTED}
        bad = [n for n in names if n not in known]
        if bad:
            raise UnknownObjectError(
                f"[extract] exclude: unknown object {bad[0]!r}; extractable objects: "
                + ", ".join(o.name for o in EXTRACTED)
            )
        object.__setattr__(self, "exclude", tuple(names) + _listed_under(names))

    def selected(self, names: Iterable[str] | None) -> tuple[CustifyObject, ...]:
        """The objects to extract: ``names`` (all by default) without the excluded ones; naming
        an excluded object is refused, as the two settings contradict each other."""
        chosen = selected_objects(names)
        if names is not None:
            clash = [o.name for o in chosen if o.name in self.exclude]
            if clash:
                obj = next(o for o in chosen if o.name == clash[0])
                under = [p for p in parents_of(obj) if p in self.exclude]
                why = f" (it is listed under {', '.join(under)})" if under else ""
                raise UnknownObjectError(
                    f"{clash[0]} is turned off by [extract] exclude in pipelines.toml{why}; "
                    "remove it there to extract it"
                )
        return tuple(o for o in chosen if o.name not in self.exclude)

    def interval(self, obj: str) -> float:
        return float(self.intervals.get(obj, 0.0))

    def page_size_for(self, obj: CustifyObject) -> int:
        return min(obj.page_size_max, self.page_size or obj.page_size_max)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> ExtractOptions:
        """Options from the parsed pipelines.toml; unknown keys are refused in one line."""
        section = dict((raw or {}).get("extract", {}) or {})
        known = {"overlap_s", "batch_rows", "page_window", "intervals", "delete_mode",
                 "deleted_column", "queue_batches", "page_size", "exclude"}  # fmt: skip
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(
                f"[extract] unknown option {unknown[0]!r} in pipelines.toml; "
                f"known: {', '.join(sorted(known))}"
            )
        if "intervals" in section:
            if not isinstance(section["intervals"], Mapping):
                raise ConfigError("[extract] intervals must be a table of object = seconds")
            section["intervals"] = {**DEFAULT_INTERVALS, **section["intervals"]}
        if isinstance(section.get("exclude"), list):
            section["exclude"] = tuple(section["exclude"])
        if isinstance(section.get("overlap_s"), int):
            section["overlap_s"] = float(section["overlap_s"])
        return cls(**section)


def parents_of(obj: CustifyObject) -> tuple[str, ...]:
    """The objects whose records ``obj`` is listed under (objectives per company, comments per
    note and task, responses per survey): their list is read to read ``obj``."""
    found = [obj.per_parent[0]] if obj.per_parent else []
    return (*found, *(p.object for p in obj.parent_lists))


def _listed_under(names: Iterable[str]) -> tuple[str, ...]:
    """Objects listed under an excluded object: listing them would read its list too."""
    off = set(names)
    return tuple(o.name for o in EXTRACTED if o.name not in off and off & set(parents_of(o)))


def selected_objects(names: Iterable[str] | None) -> tuple[CustifyObject, ...]:
    """The registry rows to extract, in registry order; every extracted object when None."""
    if names is None:
        return EXTRACTED
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    by_name = {o.name: o for o in EXTRACTED}
    bad = [n for n in wanted if n not in by_name]
    if bad:
        raise UnknownObjectError(
            f"unknown object {bad[0]!r}; extractable objects: {', '.join(by_name)}"
        )
    if not wanted:
        raise UnknownObjectError(f"no object selected; extractable objects: {', '.join(by_name)}")
    return tuple(o for o in EXTRACTED if o.name in wanted)
