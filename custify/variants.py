"""Try, then remember: request shapes the notes leave open, learned per client.

Two time-track facts are uncertain (custify-api.md §13, §19): the path is spelled
``/time-track`` in the spec's path key and ``/time_track`` in its samples, and the id of an
update or delete goes in the query by the spec's text and in the path by its delete sample.
The registry names the documented form first and the others after it
(``CustifyObject.path_spellings``, ``Action.alternates``). A client tries the documented
form; when Custify answers it with a 404 (or, for a placement, a 400 on the route), it tries
the next one; the first that succeeds is used for the rest of the client's life.

Only requests that Custify did not apply are tried again: a 404 or 400 applied nothing, so a
create tried under a second spelling is not a duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from custify.errors import CustifyError, NotFound, RecordRejected
from models.registry import OBJECTS, Action

T = TypeVar("T")
#: documented path prefix -> the other spellings Custify may use (registry ``path_spellings``)
SPELLINGS: dict[str, tuple[str, ...]] = {
    o.list_path: o.path_spellings for o in OBJECTS if o.list_path and o.path_spellings
}


class Spellings:
    """Which spelling of a path prefix this client's Custify answers to."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def candidates(self, path: str) -> tuple[str | None, list[tuple[str, str]]]:
        """``(documented prefix or None, [(prefix, path to try)] in order)``."""
        for documented, others in SPELLINGS.items():
            if path == documented or path.startswith((documented + "/", documented + "?")):
                rest = path[len(documented) :]
                with self._lock:
                    known = self._known.get(documented)
                prefixes = [known] if known else [documented, *others]
                return documented, [(p, p + rest) for p in prefixes]
        return None, [(path, path)]

    def learn(self, documented: str, prefix: str) -> None:
        with self._lock:
            self._known.setdefault(documented, prefix)


def with_spellings(spellings: Spellings, path: str, send: Callable[[str], T]) -> T:
    """``send(path)``, trying the other spellings of its prefix on a 404 until one answers."""
    documented, candidates = spellings.candidates(path)
    first: NotFound | None = None
    for prefix, candidate in candidates:
        try:
            result = send(candidate)
        except NotFound as exc:
            first = first or exc
            continue
        if documented is not None and len(candidates) > 1:
            spellings.learn(documented, prefix)
        return result
    assert first is not None
    raise first


class Placements:
    """Which identifier placement each action's Custify endpoint takes (registry
    ``Action.alternates``)."""

    def __init__(self) -> None:
        self._known: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def variants(self, act: Action, by: str | None) -> list[Action]:
        """The action as documented, then with each alternate placement of its identifier;
        just the remembered one once a placement worked."""
        if not act.alternates:
            return [act]
        out = [act]
        for alt in act.alternates:
            if by not in (None, alt.name):
                continue
            idents = tuple(alt if i.name == alt.name else i for i in act.identifiers)
            out.append(replace(act, identifiers=idents, alternates=()))
        with self._lock:
            known = self._known.get(_key(act))
        chosen = [v for v in out if v.identifiers == known]
        return chosen or out

    def learn(self, act: Action, variant: Action) -> None:
        with self._lock:
            self._known.setdefault(_key(act), variant.identifiers)


def _key(act: Action) -> tuple:
    """Actions of one object with the same alternates (a time track's update and delete) share
    what one of them learned: it is one endpoint's convention."""
    return (act.object, act.identifiers, act.alternates)


def with_placements(
    placements: Placements, act: Action, variants: list[Action], send: Callable[[Action], T]
) -> T:
    """``send(variant)`` for each variant until one is not refused as a route (404/400).

    When all are refused, the error to raise is the first that is not a 404 (a route that
    exists refused the row), else the first 404 (the record does not exist)."""
    errors: list[CustifyError] = []
    for variant in variants:
        try:
            result = send(variant)
        except (NotFound, RecordRejected) as exc:
            errors.append(exc)
            continue
        if len(variants) > 1:
            placements.learn(act, variant)
        return result
    raise next((e for e in errors if not isinstance(e, NotFound)), errors[0])
