"""How a named action method's arguments become one ``call`` (custify/action_methods.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from models.registry import ACTIONS, Action
from models.types import ActionKind, IdLocation


def positional_identifier(act: Action) -> str | None:
    """The identifier a named method takes positionally: the only one, and a path segment."""
    if act.kind is ActionKind.UPSERT or len(act.identifiers) != 1:
        return None
    ident = act.identifiers[0]
    return ident.name if ident.location is IdLocation.PATH else None


def method_name(act: Action) -> str:
    """``people.upsert`` -> ``people_upsert``."""
    return act.name.replace(".", "_")


class NamedActions:
    """The shared body of the generated methods; ``CustifyClient`` provides ``call``."""

    #: ``CustifyClient.call``, which every generated method ends in
    call: Callable[..., Any]

    def named(
        self,
        name: str,
        payload: Mapping[str, Any] | None,
        *,
        positional: tuple[str, Any] | None,
        ids: Mapping[str, Any],
        parent: Mapping[str, Any],
        extra_query: Mapping[str, Any],
        query: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
    ) -> Any:
        """One identifier (positional or one keyword), parent and query keywords as given."""
        given = {k: v for k, v in ids.items() if v is not None}
        method = method_name(ACTIONS[name])
        if len(given) > 1 or (given and positional is not None):
            raise TypeError(f"{method}() takes one identifier, got {sorted(given)}")
        by, value = positional or (next(iter(given.items())) if given else (None, None))
        chosen_parent = {k: v for k, v in parent.items() if v is not None}
        merged_query = {
            **{k: v for k, v in extra_query.items() if v is not None},
            **(query or {}),
        }
        return self.call(
            ACTIONS[name],
            payload,
            by=by,
            value=value,
            parent=chosen_parent or None,
            query=merged_query or None,
            files=files,
        )
