"""Dagster definitions for a custify-sync project: ``dagster dev -m custify_sync.dagster``.

``defs`` is built on first access from ``pipelines.toml`` in the working directory (or the
file ``CUSTIFY_SYNC_CONFIG`` names), so importing the package is free and a test can build
definitions of its own with ``build_defs(path)``. See README "Running at scale".
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_defs", "defs"]

_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name == "defs":
        if "defs" not in _built:
            from custify_sync.dagster.definitions import build_defs

            _built["defs"] = build_defs()
        return _built["defs"]
    if name == "build_defs":
        from custify_sync.dagster.definitions import build_defs

        return build_defs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # Dagster finds ``defs`` by listing the module's attributes
    return sorted([*globals(), *__all__])
