"""Dagster tests: each module skips with one line where the ``dagster`` extra is not
installed (``make setup`` installs it, so CI runs them)."""

from __future__ import annotations

from tests.deploy.conftest import home, sandboxes  # noqa: F401  (fixtures reused)

NO_DAGSTER = "the dagster extra is not installed: pip install -e '.[dagster]'"
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
