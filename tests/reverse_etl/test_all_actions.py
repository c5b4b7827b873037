"""Every registry action, driven from a warehouse table against the sandbox, on one engine.

Each case (``cases.py``, ``cases_work.py``) loads its rows into a warehouse table, declares an
inline ``[syncs.s]`` section, pushes, and asserts the sandbox's state. Rows that name nothing
(an unknown parent, a ticket that does not exist, a path outside ``files_dir``) must be in
``s__rejected`` with their reason while the rest of the run goes through. A second push with
no data change must send nothing at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.reverse_etl.cases_work  # noqa: F401 -- registers the second half of CASES
from models.registry import ACTIONS
from tests.reverse_etl.cases import CASES
from tests.reverse_etl.conftest import Pusher, extract


def test_every_registry_action_has_a_warehouse_driven_case() -> None:
    missing = sorted(set(ACTIONS) - set(CASES))
    assert not missing, f"actions without a sync test: {missing}"
    assert not set(CASES) - set(ACTIONS)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_from_a_warehouse_table(pusher: Pusher, tmp_path: Path, name: str) -> None:
    p = pusher
    c = CASES[name](p, tmp_path, name)
    if c.extract:
        extract(p, *c.extract)
    p.syncs["s"] = {**c.sync, "action": name, "table": "src"}
    p.table("src", c.rows)
    report = p.push()
    rejected = p.wh.query_df("SELECT key, reason FROM s__rejected").to_dicts()
    problems = p.wh.query_df(
        "SELECT key, status, error FROM _custify_ledger WHERE status NOT IN ('confirmed')"
    ).to_dicts()
    assert report.exit_code == c.exit_code, (report.syncs[0], problems)
    assert len(rejected) == len(c.rejected), rejected
    for fragment in c.rejected:
        assert any(fragment in r["reason"] for r in rejected), (fragment, rejected)
    c.check(p, report)
    seen = p.requests()
    again = p.push()
    assert again.requests == 0 and p.requests() == seen, again.syncs[0]
