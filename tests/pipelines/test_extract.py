"""Extraction lands every object in the warehouse exactly as the sandbox holds it."""

from __future__ import annotations

from pipelines import run_extract
from tests.pipelines.helpers import assert_matches_sandbox


def test_every_table_equals_the_sandbox(sandbox, client, clock, warehouse_cfg, options):
    report = run_extract(
        client.settings, warehouse_cfg=warehouse_cfg, client=client, clock=clock, options=options
    )
    assert {r.status for r in report.objects.values()} == {"done"}
    assert_matches_sandbox(sandbox, warehouse_cfg)
