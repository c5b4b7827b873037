"""Renders ``custify/action_methods.py``: one typed method per registry action.

The registry (``models``) is the only place that knows the actions; the methods are written
out as source so that IDEs and type checkers see every one with its parameters. A test
renders them again and compares, so a registry change that is not regenerated fails:
``python -m custify.action_codegen`` rewrites the file.
"""

from __future__ import annotations

import keyword
import sys
from pathlib import Path

from custify.named_actions import method_name, positional_identifier
from models.registry import ACTIONS
from models.rows import Action

TARGET = Path(__file__).with_name("action_methods.py")

HEADER = '''"""The registry's actions as typed ``CustifyClient`` methods (generated: do not edit).

Rendered by ``custify.action_codegen`` from ``models.registry.ACTIONS``; regenerate with
``python -m custify.action_codegen`` after a registry change (a test checks it is current).

- ``client.<object>_<verb>(payload)``, e.g. ``client.people_upsert({...})``;
- an action whose only identifier is a path segment takes it first, positionally:
  ``client.tickets_reply(external_id, {...})``, ``client.tasks_update(task_id, {...})``;
- other identifiers, parent params and query params are keywords:
  ``client.people_get(email="a@b.c")``, ``client.deals_delete(externalId="D-1")``,
  ``client.comments_create({...}, entityModel="Note", entity=note_id)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custify.named_actions import NamedActions

Payload = Mapping[str, Any] | None


class ActionMethods(NamedActions):
    """One method per registry action; each sends through ``NamedActions.named``."""
'''


def _keyword(name: str, act: Action) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("query", "files", "self"):
        raise ValueError(f"{act.name}: {name!r} cannot be a keyword parameter")
    return name


def _doc(act: Action, positional: str | None) -> list[str]:
    idents = ", ".join(f"{i.name} ({i.location.value})" for i in act.identifiers) or "none"
    first = f"Identifiers: {idents}."
    if positional:
        first += f" {positional!r} is the first positional argument."
    lines = [f"{act.family}: {act.name} -> {act.method} {act.path}.", "", first]
    if act.parent_params:
        lines.append(f"Parent keywords: {', '.join(act.parent_params)}.")
    if act.query:
        lines.append(f"Query keywords: {', '.join(act.query)}.")
    if act.duplicates_on_retry:
        lines.append("Not retried after it may have reached Custify (duplicates on retry).")
    if act.doc:
        lines += ["", *act.doc.strip().splitlines()]
    return [line.replace('"""', "'''").rstrip() for line in lines]


def _dict(names: list[str]) -> str:
    return "{" + ", ".join(f'"{n}": {n}' for n in names) + "}"


def render_method(act: Action) -> str:
    positional = positional_identifier(act)
    idents = [i.name for i in act.identifiers if i.name != positional]
    names = list(dict.fromkeys([*idents, *act.parent_params, *act.query]))
    params = ["self"]
    if positional:
        params.append(f"{_keyword(positional, act)}: Any")
    params += ["payload: Payload = None", "/", "*"]
    params += [f"{_keyword(n, act)}: Any = None" for n in names]
    params += ["query: Mapping[str, Any] | None = None", "files: Mapping[str, Any] | None = None"]
    parent = [n for n in act.parent_params if n in names]
    extra = [n for n in act.query if n in names and n not in act.parent_params]
    ids = [n for n in idents if n not in act.parent_params and n not in act.query]
    by = f'("{positional}", {positional})' if positional else "None"
    call = [
        f'"{act.name}"', "payload", f"positional={by}", f"ids={_dict(ids)}",
        f"parent={_dict(parent)}", f"extra_query={_dict(extra)}", "query=query", "files=files",
    ]  # fmt: skip
    doc = "\n".join(f"        {line}" if line else "" for line in _doc(act, positional))
    return (
        f"    def {method_name(act)}(\n"
        + "".join(f"        {p},\n" for p in params)
        + "    ) -> Any:\n"
        + f'        """{doc.strip()}\n        """\n'
        + "        return self.named(\n"
        + "".join(f"            {arg},\n" for arg in call)
        + "        )\n"
    )


def render() -> str:
    methods = [render_method(act) for act in ACTIONS.values()]
    return HEADER + "\n" + "\n".join(methods)


def main() -> int:
    TARGET.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
