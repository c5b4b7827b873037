"""The order syncs run in: ``after = ["other_sync"]`` chains, checked and split into waves.

A sync that declares ``after`` runs once the syncs it names have finished in the same push or
``run`` cycle, and so sees what they wrote: a get's ``<sync>__records``, a create's new ids
in ``_custify_sync_state`` (``custify_id`` per ``sync`` and ``key``) and in the ledger. The
syncs of one wave are planned together and then sent; the next wave is planned only after
that, on the warehouse as the earlier waves left it. Without ``after`` every sync is in the
first wave, as a plain ``push`` always was. One consequence: a check made while planning (a
delete guard that trips) stops the push before anything of ITS wave is sent, but after the
earlier waves have sent theirs (they are ledgered as usual).

An unknown name, a sync naming itself, or a cycle is a configuration error (exit 2) that
names the sync and the chain, before anything is read or sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

from custify.config_sources import did_you_mean
from reverse_etl.config.errors import SyncConfigError


class Ordered(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def after(self) -> tuple[str, ...]: ...


def check_after(syncs: Mapping[str, Ordered]) -> None:
    """Every ``after`` names a known other sync, and the chains have no cycle."""
    for sync in syncs.values():
        for other in sync.after:
            if other == sync.name:
                raise SyncConfigError(f"[syncs.{sync.name}] after: a sync cannot run after itself")
            if other not in syncs:
                raise SyncConfigError(
                    f"[syncs.{sync.name}] after: unknown sync {other!r}"
                    f"{did_you_mean(other, list(syncs))}; known syncs: {', '.join(sorted(syncs))}"
                )
    state: dict[str, str] = {}
    for name in syncs:
        _visit(name, syncs, state, [])


def _visit(name: str, syncs: Mapping[str, Ordered], state: dict[str, str], path: list[str]) -> None:
    if state.get(name) == "done":
        return
    if state.get(name) == "open":
        chain = " -> ".join([*path[path.index(name) :], name])
        raise SyncConfigError(f"[syncs.{name}] after: the syncs wait on each other ({chain})")
    state[name] = "open"
    for other in syncs[name].after:
        _visit(other, syncs, state, [*path, name])
    state[name] = "done"


T = TypeVar("T", bound=Ordered)


def waves(chosen: Sequence[T]) -> list[list[T]]:
    """``chosen`` split into waves: each sync after every chosen sync it names (a sync named
    in ``after`` but not chosen for this run does not hold anything back). The order asked
    is kept inside a wave."""
    names = {s.name for s in chosen}
    level: dict[str, int] = {}

    def depth(sync: T) -> int:
        if sync.name not in level:
            before = [s for s in chosen if s.name in sync.after and s.name in names]
            level[sync.name] = 1 + max((depth(s) for s in before), default=-1)
        return level[sync.name]

    out: list[list[T]] = []
    for sync in chosen:
        d = depth(sync)
        while len(out) <= d:
            out.append([])
        out[d].append(sync)
    return [w for w in out if w]


def dependents(failed: str, chosen: Sequence[Ordered]) -> set[str]:
    """The chosen syncs that wait, directly or through others, on ``failed``."""
    out: set[str] = set()
    grew = True
    while grew:
        grew = False
        for sync in chosen:
            if sync.name not in out and ({failed} | out) & set(sync.after):
                out.add(sync.name)
                grew = True
    return out
