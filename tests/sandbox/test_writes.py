"""Every write endpoint of the registry's actions changes state as specified (§2–§16).

Each action's case is its scenario's ``check_raw`` (``tests/scenarios.py``).
"""

from __future__ import annotations

import pytest

from models.registry import ACTIONS
from sandbox.routes.writes import templates
from tests.scenarios import SCENARIOS


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_endpoint_is_served(sb, name):
    """Each action's method + path templates reach a handler (no 'Cannot METHOD path')."""
    served = sb.router.templates()
    shape = lambda t: t.replace("{_id}", "{id}")  # noqa: E731
    for template in templates(ACTIONS[name]):
        assert any(m == ACTIONS[name].method and shape(t).count("{") == shape(template).count("{")
                   and t.split("{")[0] == template.split("{")[0] for m, t in served), template  # fmt: skip


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_changes_state(sb, client, name):
    SCENARIOS[name].check_raw(sb, client)
