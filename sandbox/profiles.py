"""Named sets of fault-knob values: switch a whole reading of the API notes on at once.

Where ``docs/custify-api.md`` is silent (INF, §19 open questions) the sandbox makes one
choice by default and offers a knob for the others. A profile names a set of those knobs, so
that tests and users can run against "the other plausible answers" in one switch:
``Sandbox(profile="unknowns")``, ``POST /_sandbox/faults {"profile": "unknowns"}`` and
``custify-sync sandbox --profile unknowns``. A profile is plain data: add a knob of your own by
adding its name and value here (every value must be accepted by ``Faults.update``).
Applying a profile sets its knobs and leaves every other knob as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

PROFILES: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    #: the less convenient answer to each open question the engine must survive
    "unknowns": MappingProxyType({
        # a key without the files scope: the unscoped list is refused, uploads still work
        # (§1.2 "endpoint may not be available for API key access", §19 GET /file)
        "forbidden_paths": ({"method": "GET", "path": "/file", "match": "exact"},),
        # people sharing an e-mail, which §2's upsert rule 4 creates in real accounts
        "shared_emails": 3,
        # lists serving fewer rows per page than documented and asked (§1.7, §19)
        "page_caps": {"notes": 20, "tasks": 20, "tickets": 50},
        # the bare-array survey list ignoring ``page`` (the likeliest of all, §11)
        "ignore_page": ("surveys",),
        # GET /batch/{id} in a format no parser can read (§15: undocumented)
        "batch_status_shape": "opaque",
        # a resent ticket create makes a second ticket (§7/§19: nothing says it updates)
        "ticket_create_duplicates": True,
        # the spelling of the spec's samples, and the id in the path (§13, §19)
        "time_track_spelling": "underscore",
        "time_track_id_in": "path",
        # a value of another type answered 200 but not stored (§1.4: "discouraged")
        "attribute_type_mismatch": "ignore",
        # links dropped by a cascade without moving the record's updated_at
        "cascade_bumps_updated_at": False,
    }),
})  # fmt: skip


def knobs(name: str) -> dict[str, Any]:
    """The knob values of profile ``name`` (a fresh copy), or a KeyError listing the known ones."""
    try:
        values = PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown sandbox profile {name!r}; known profiles: {known}") from None
    return {k: copy.deepcopy(list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
