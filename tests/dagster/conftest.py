"""Dagster tests: a two-connection project reused by the modules. They import ``dagster``
plainly: the ``dagster`` extra is part of ``make setup``, so a missing one fails loudly."""

from __future__ import annotations

from tests.deploy.conftest import home, sandboxes  # noqa: F401  (fixtures reused)

TWO_CONNECTIONS = """
[extract]
overlap_s = 0

[custify.connections.alpha]

[custify.connections.beta-2]

[dagster]
cron = "0 * * * *"
lock_wait_s = 0

[syncs.alpha_followups]
object = "notes"
action = "create"
key = ["event_id"]
connection = "alpha"
query = \"\"\"
SELECT e.event_id, p.user_id, '<p>welcome</p>' AS text
FROM trigger_events e JOIN people p ON p.id = e.record_id
WHERE e.event_type = 'person.created' AND e.origin = 'custify'\"\"\"

[syncs.beta_scores]
object = "people"
action = "upsert"
match = "user_id"
connection = "beta-2"
query = "SELECT s.user_id, s.plan_tier AS custom_attributes__plan_tier FROM analytics.scores s"
"""
