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
TWO_STEP = "recipe_person_risk"  # reads what recipe_person_fresh stored: pushed after it


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
        self.newbie = store.create("people", email="ann@newco.example", name="Ann", tags=[],
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
        done = sorted(store.rows("tasks"), key=lambda r: r["id"])[0]
        self.done = store.update("tasks", done["id"], status="done", assignedTo=user["id"],
                                 completedAt=sb.now_iso())  # fmt: skip
        solved = sorted(store.rows("tickets"), key=lambda r: r["id"])[1]
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
    first = p.push(*[n for n in p.syncs if n != TWO_STEP])
    assert first.exit_code == 0, [s for s in first.syncs if not s.ok]
    assert p.push(TWO_STEP).exit_code == 0

    (task,) = [t for t in store.rows("tasks") if t["name"] == "Follow up: Cannot export"]
    assert task["company"] == w.company["id"] and task["priority"] == "high"
    assert [n for n in store.rows("notes") if "Ticket opened: Cannot export" in n["text"]]
    replies = store.get("tickets", w.ticket["id"])["replies"]
    assert [r["body"] for r in replies] == ["Thanks, we are on it."]
    (newco,) = store.find("companies", company_id="newco.example")
    assert store.get("people", w.newbie["id"])["companies"] == [newco["id"]]
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
