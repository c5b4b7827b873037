"""The recipes commented in pipelines.toml, run exactly as written, from trigger events.

The block between ``recipes: begin`` and ``recipes: end`` is uncommented and parsed, so the
documented recipes cannot drift from what is tested. Scenario: a baseline extract; changes
made in Custify (a ticket and a person created, a file uploaded, people and tasks updated, a
ticket solved); an extract that turns them into trigger events; the recipe pushes; and then an
extract plus push that must detect only echoes and send nothing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from models.clock import ECHO_SKEW_S
from tests.reverse_etl.conftest import Pusher, extract

REPO = Path(__file__).resolve().parents[2]
OBJECTS = ("people", "companies", "notes", "tasks", "tickets", "files")


def recipes() -> dict[str, dict]:
    text = (REPO / "pipelines.toml").read_text()
    block = text.split("# ---- recipes: begin")[1].split("# ---- recipes: end")[0]
    lines = [ln[1:] if ln.startswith("##") else ln[2:] if ln.startswith("# ") else ln.lstrip("#")
             for ln in block.splitlines()[1:]]  # fmt: skip
    return tomllib.loads("\n".join(lines))["syncs"]


def test_every_action_family_has_a_recipe() -> None:
    from models.registry import ACTION_FAMILIES, REGISTRY

    families = {REGISTRY[s["object"]].action(s.get("action") or _default(s)).family
                for s in recipes().values()}  # fmt: skip
    assert set(ACTION_FAMILIES) <= families


def _default(sync: dict) -> str:
    return {"companies": "upsert", "people": "upsert", "subscriptions": "upsert"}[sync["object"]]


class World:
    """The records the scenario creates or changes "in Custify", by hand, between extracts."""

    def __init__(self, p: Pusher) -> None:
        sb, store = p.sandbox, p.sandbox.store
        comps = sorted(store.rows("companies"), key=lambda r: r["id"])
        folks = [r for r in sorted(store.rows("people"), key=lambda r: r["id"]) if r.get("email")]
        at_risk = next(t for t in store.rows("tags") if (t["name"], t["category"]) ==
                       ("At risk", "people"))  # fmt: skip
        user = sorted(store.rows("users"), key=lambda u: u["id"])[0]
        self.company, self.at_risk = comps[0], at_risk
        self.ticket = store.create(
            "tickets", externalId="ZD-REC-1", title="Cannot export", company=[comps[0]["id"]],
            people=[{"id": folks[0]["id"]}], replies=[], ticketStatus="open", tags=[],
        )  # fmt: skip
        self.loner = store.create("people", email="lou@solo.example", name="Lou", tags=[],
                                  companies=[], custom_attributes={})  # fmt: skip
        self.orphan = store.create(  # no company, and a requester who has none either
            "tickets", externalId="ZD-REC-2", title="Lost password", company=[],
            people=[{"id": self.loner["id"]}], replies=[], ticketStatus="open", tags=[],
        )  # fmt: skip
        self.newbie = store.create("people", email="ann@newco.example", name="Ann", tags=[],
                                   companies=[], custom_attributes={})  # fmt: skip
        self.freemail = store.create("people", email="bob@gmail.com", name="Bob", tags=[],
                                     companies=[], custom_attributes={})  # fmt: skip
        self.file = store.create("files", name="plan.pdf", size=10, showInPortal=False,
                                 companies=[comps[1]["id"]], peoples=[])  # fmt: skip
        self.low = store.update("people", folks[1]["id"], session_count=3, tags=[])
        self.high = store.update("people", folks[2]["id"], session_count=900,
                                 tags=[at_risk["id"]])  # fmt: skip
        self.task = store.create(
            "tasks", name="Kickoff", priority="low", status="open", company=comps[1]["id"],
            assignedTo=user["id"], tags=[], checklist=[],
        )  # fmt: skip
        done = next(t for t in sorted(store.rows("tasks"), key=lambda r: r["id"])
                    if t["status"] != "done" and t["id"] != self.task["id"])  # fmt: skip
        self.done = store.update("tasks", done["id"], status="done", assignedTo=user["id"],
                                 completedAt=sb.now_iso())  # fmt: skip
        solved = next(t for t in sorted(store.rows("tickets"), key=lambda r: r["id"])
                      if t["ticketStatus"] != "solved" and t["people"]
                      and t["externalId"] not in (None, "ZD-REC-1", "ZD-REC-2"))  # fmt: skip
        self.solved = store.update("tickets", solved["id"], ticketStatus="solved")
        self.user = user


@pytest.mark.slow
def test_recipes_from_trigger_events(pusher: Pusher) -> None:
    p, store = pusher, pusher.sandbox.store
    p.syncs.update(recipes())
    extract(p, *OBJECTS)  # baseline: no events
    p.clock.advance(60)
    w = World(p)
    p.table("csat_answers", {"ticket": [w.solved["externalId"]], "score": [4],
                             "comment": ["quick fix"]})  # fmt: skip
    extract(p, *OBJECTS)
    first = p.push()  # one push: the chains run in `after` order
    assert first.exit_code == 0, [s for s in first.syncs if not s.ok]

    (task,) = [t for t in store.rows("tasks") if t["name"] == "Follow up: Cannot export"]
    assert task["company"] == w.company["id"] and task["priority"] == "high"
    (note,) = [n for n in store.rows("notes") if "Ticket opened: Cannot export" in n["text"]]
    assert (note["entity"], note["entityModel"]) == (w.company["id"], "Company")
    assert task["id"] in note["text"]  # the note read the task's new id in the same push
    (lost,) = [n for n in store.rows("notes") if "Ticket opened: Lost password" in n["text"]]
    assert (lost["entity"], lost["entityModel"]) == (w.loner["id"], "Customer")
    replies = store.get("tickets", w.ticket["id"])["replies"]
    assert [r["body"] for r in replies] == ["Thanks, we are on it."]
    (newco,) = store.find("companies", company_id="newco.example")
    assert newco["name"] == "Newco"
    assert store.get("people", w.newbie["id"])["companies"] == [newco["id"]]
    assert not store.find("companies", company_id="gmail.com")
    assert store.get("people", w.freemail["id"])["companies"] == []
    (trial,) = [s for s in store.rows("subscriptions")
                if s["externalIds"].get("custify") == "trial-newco.example"]  # fmt: skip
    assert trial["company"] == newco["id"] and trial["plan"] == "Trial"
    assert store.get("files", w.file["id"])["showInPortal"] is True
    assert w.at_risk["id"] in store.get("people", w.low["id"])["tags"]
    assert w.at_risk["id"] not in store.get("people", w.high["id"])["tags"]
    (comment,) = [c for c in store.rows("comments") if c["entity"] == w.task["id"]]
    assert comment["text"].startswith("Checklist")
    (tt,) = [t for t in store.rows("time_tracks") if t["name"] == f"Task: {w.done['name']}"]
    assert (tt["user"], tt["duration"]) == (w.user["id"], 900)
    assert store.scores["csat"][w.solved["people"][0]["id"]]["score"] == 4

    # the recipes' own writes come back as echoes: nothing reacts to them, nothing is sent
    p.clock.advance(ECHO_SKEW_S * 4)
    extract(p, *OBJECTS)
    echoes = p.wh.query_df(
        "SELECT event_type, origin, record_id FROM trigger_events WHERE run_id = (SELECT run_id FROM "
        "trigger_events ORDER BY detected_at DESC LIMIT 1)"
    )
    assert echoes.height > 0 and set(echoes.get_column("origin")) == {"custify-sync"}
    comments = len(store.rows("comments"))
    seen = p.requests()
    again = p.push()
    assert again.exit_code == 0 and again.requests == 0 and p.requests() == seen, again
    assert len(store.rows("comments")) == comments  # the recipe's task got no comment

    # later edits of the done task and of the solved ticket are no transitions: nothing fires
    p.clock.advance(ECHO_SKEW_S * 4)
    store.update("tasks", w.done["id"], priority="high")
    store.update("tickets", w.solved["id"], title="Solved, edited")
    extract(p, *OBJECTS)
    edits = p.push("recipe_task_time", "recipe_ticket_csat")
    assert edits.exit_code == 0 and edits.totals()["sent"] == 0, edits
    assert (
        len([t for t in store.rows("time_tracks") if t["name"] == f"Task: {w.done['name']}"]) == 1
    )
    (last,) = p.wh.query_df(
        "SELECT CAST(changes AS VARCHAR) AS c FROM trigger_events WHERE record_id = %s "
        "AND event_type = 'task.updated' ORDER BY detected_at DESC LIMIT 1",
        (w.done["id"],),
    )["c"]
    assert "priority" in last and "status" not in last  # an update, but no transition
