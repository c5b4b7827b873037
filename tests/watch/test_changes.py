"""``trigger_events.changes`` holds old and new values, and a transition recipe keyed on it
fires once per transition, not on later edits of the same record."""

from __future__ import annotations

import json

from pipelines.watch import run_cycle
from tests.reverse_etl.conftest import Pusher, extract
from tests.watch.conftest import inputs_for


def _events(p: Pusher, record_id: str) -> list[dict]:
    frame = p.wh.query_df(
        "SELECT event_type, detected_at, updated_at, CAST(changes AS VARCHAR) AS changes "
        "FROM trigger_events WHERE record_id = %s ORDER BY detected_at",
        (record_id,),
    )
    return frame.to_dicts()


def test_changes_hold_old_and_new_values_of_a_field_and_a_custom_attribute(any_pusher: Pusher):
    p, store = any_pusher, any_pusher.sandbox.store
    extract(p, "people")  # the baseline
    person = sorted(store.rows("people"), key=lambda r: r["id"])[3]
    attrs = dict(person["custom_attributes"])
    p.clock.advance(60)
    store.update("people", person["id"], session_count=person["session_count"] + 5,
                 custom_attributes={**attrs, "role": "Owner"})  # fmt: skip
    extract(p, "people")

    (event,) = _events(p, person["id"])
    assert event["event_type"] == "person.updated"
    changes = json.loads(event["changes"])
    assert changes["session_count"] == [person["session_count"], person["session_count"] + 5]
    assert changes["custom_attributes__role"] == [attrs["role"], "Owner"]
    assert "updated_at" not in changes and "name" not in changes
    assert event["detected_at"] >= event["updated_at"]
    # SQL over the JSON column, as a recipe reads it
    (row,) = p.wh.query_df(
        "SELECT changes->'custom_attributes__role'->>1 AS now FROM trigger_events"
        " WHERE record_id = %s",
        (person["id"],),
    ).to_dicts()
    assert row["now"] == "Owner"


#: task marked done -> 15 minutes logged, keyed by the event, only on the transition
TASK_TIME = {
    "object": "time_tracks", "action": "create", "key": ["event_id"],
    "query": "SELECT e.event_id, t.assigned_to AS \"user\", 'Task: ' || t.name AS name, "
             "900 AS duration, t.completed_at AS startedDate, t.company "
             "FROM trigger_events e JOIN tasks t ON t.id = e.record_id "
             "WHERE e.event_type = 'task.updated' AND e.origin = 'custify' "
             "AND (e.changes->'status'->>1) = 'done'",
}  # fmt: skip


def test_a_transition_recipe_fires_once_per_transition_and_not_on_later_edits(pusher: Pusher):
    p, store = pusher, pusher.sandbox.store
    p.syncs["recipe_task_time"] = TASK_TIME
    objects = ["tasks"]
    run_cycle(inputs_for(p), objects=objects)  # the baseline
    user = sorted(store.rows("users"), key=lambda u: u["id"])[0]
    task = next(t for t in sorted(store.rows("tasks"), key=lambda r: r["id"])
                if t["status"] == "open")  # fmt: skip

    def logged() -> list[dict]:
        return [t for t in store.rows("time_tracks") if t["name"] == f"Task: {task['name']}"]

    p.clock.advance(60)
    store.update("tasks", task["id"], status="done", assignedTo=user["id"],
                 completedAt=p.sandbox.now_iso())  # fmt: skip
    second = run_cycle(inputs_for(p), 2, objects=objects)
    assert second.exit_code == 0, second.errors
    assert len(logged()) == 1

    p.clock.advance(60)  # a later edit of the done task: no transition, nothing logged
    store.update("tasks", task["id"], priority="high")
    assert run_cycle(inputs_for(p), 3, objects=objects).exit_code == 0
    assert len(logged()) == 1

    p.clock.advance(60)  # reopened, then done again: a second transition
    store.update("tasks", task["id"], status="open")
    run_cycle(inputs_for(p), 4, objects=objects)
    p.clock.advance(60)
    store.update("tasks", task["id"], status="done")
    assert run_cycle(inputs_for(p), 5, objects=objects).exit_code == 0
    assert len(logged()) == 2
