"""Fixtures for the watch tests: the reverse-ETL ``Pusher`` (sandbox, client and warehouse on
one FakeClock) and cycle inputs built from it."""

from __future__ import annotations

import pytest

from pipelines.watch import CycleInputs
from tests.deploy.conftest import cli, home, sandboxes  # noqa: F401  (fixtures, by name)
from tests.reverse_etl.conftest import (  # noqa: F401  (fixtures, by name)
    Pusher,
    any_pusher,
    client,
    pusher,
)


def inputs_for(p: Pusher, **overrides: object) -> CycleInputs:
    """Cycle inputs whose extract and push share the pusher's client and clock."""
    p.close()  # the cycle opens its own warehouse sessions
    values: dict = dict(
        settings=p.settings(), warehouse_cfg=p.wh_cfg, client=p.client,
        client_factory=lambda _name: p.client, clock=p.clock,
    )  # fmt: skip
    values.update(overrides)
    return CycleInputs(**values)


@pytest.fixture
def at_risk(sandbox) -> dict:
    store = sandbox.store
    return next(t for t in store.rows("tags") if (t["name"], t["category"]) ==
                ("At risk", "people"))  # fmt: skip
