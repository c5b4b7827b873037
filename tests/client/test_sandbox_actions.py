"""Every registry action through the client's named methods, asserting the sandbox's STATE.

One case per action (parametrised over ``models.registry.ACTIONS``): each performs the action
on a fresh seeded sandbox and then checks what Custify now holds, not only what the call
returned. The case is its scenario's ``check_client`` (``tests/scenarios.py``); a missing
scenario fails the suite.
"""

from __future__ import annotations

import pytest

from models.registry import ACTIONS
from tests.scenarios import SCENARIOS


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_changes_sandbox_state(sb_client, sandbox, name: str) -> None:
    SCENARIOS[name].check_client(sb_client, sandbox)
    journal = [e for e in sandbox.journal if e.method == ACTIONS[name].method]
    assert journal, "the action reached the sandbox"
    assert sb_client.stats.snapshot()["errors"] in (0, 1)  # some cases check one refusal
