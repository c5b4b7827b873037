"""The route table, assembled from the registry-driven route modules.

``build()`` collects ``(method, template, handler, name)`` rows from each module; the
``Router`` matches a request by method and path, literal segments before parameters
(``/people/all`` wins over ``/people/{id}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from models.registry import CustifyObject
from sandbox.routes import batch, gets, lists, writes
from sandbox.util import ApiError

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern
    handler: Callable
    name: str

    @property
    def specificity(self) -> tuple[int, int]:
        segs = self.template.strip("/").split("/")
        return (sum(1 for s in segs if s.startswith("{")), -len(segs))


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Callable, name: str = "") -> None:
        pattern = "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", template) + "/?$"
        self.routes.append(Route(method.upper(), template, re.compile(pattern), handler, name))
        self.routes.sort(key=lambda r: r.specificity)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``path`` as sent (percent-encoded) and its decoded parameters.

        Matching before decoding keeps an encoded ``/`` inside one parameter: a ticket
        externalId ``ZD/123`` arrives as ``/ticket/ZD%2F123`` and must not become two segments.
        """
        for route in self.routes:
            if route.method == method:
                m = route.regex.match(path)
                if m is not None:
                    return route, {k: unquote(v) for k, v in m.groupdict().items()}
        raise ApiError(404, f"Cannot {method} {unquote(path)}")

    def templates(self) -> set[tuple[str, str]]:
        return {(r.method, r.template) for r in self.routes}


def build(objects: Iterable[CustifyObject]) -> Router:
    """The routes serving ``objects`` (the account's registry rows)."""
    objects = tuple(objects)
    router = Router()
    tables = (gets.routes(objects), lists.routes(objects), writes.routes(objects), batch.routes())
    for rows in tables:
        for method, template, handler, name in rows:
            router.add(method, template, handler, name)
    return router
