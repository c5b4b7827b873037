"""Generated configuration objects: tags, health-score and calculated-metric definitions,
segments (both types), lifecycles with goals, playbooks (both types) and surveys (§1.6, §11,
§14). They scale with the square root of ``scale``: an account has a handful of each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.registry import TAG_CATEGORIES
from sandbox.util import iso_ms

if TYPE_CHECKING:
    from sandbox.seeding import Gen

COLORS = ("#1abc9c", "#3498db", "#9b59b6", "#e67e22", "#e74c3c", "#34495e")
TAG_NAMES = ("VIP", "At risk", "Onboarding", "Expansion", "Champion", "Legacy", "Pilot", "Beta")
LEVELS = ("low", "medium", "high")
#: The score bands behind every health-score label (``GET /health_score/simple`` ranges).
HEALTH_RANGES: tuple[dict[str, Any], ...] = (
    {"label": "bad", "color": "#e74c3c", "min": 0, "max": 39},
    {"label": "average", "color": "#f1c40f", "min": 40, "max": 69},
    {"label": "good", "color": "#2ecc71", "min": 70, "max": 100},
)
COMMENTS = ("Great support", "Too expensive", "Missing an export", "Easy to use", None)
QUESTIONS = ("What should we improve?", "Would you join a beta?")


def health_label(score: float) -> tuple[str, str]:
    """(label, color) of the band holding ``score``."""
    for band in reversed(HEALTH_RANGES):
        if score >= band["min"]:
            return band["label"], band["color"]
    return HEALTH_RANGES[0]["label"], HEALTH_RANGES[0]["color"]


def _stamps(g: Gen, name: str, n: int):
    rng = g.rng(name)
    return rng, g.stamper(rng, n)


def tags(g: Gen) -> dict[str, list[str]]:
    """A few tags per category; returns category -> tag ids for the other generators."""
    rng, stamp = _stamps(g, "tags", 100)
    per_cat = g.count("tags_per_category", 4, minimum=3, linear=False)
    rows: list[dict] = []
    by_cat: dict[str, list[str]] = {}
    for cat in TAG_CATEGORIES:
        by_cat[cat] = []
        for k in range(per_cat):
            c, u = stamp()
            tid = g.new_id(c)
            by_cat[cat].append(tid)
            rows.append({
                "id": tid, "name": f"{TAG_NAMES[k % len(TAG_NAMES)]}" + (f" {k // 8 + 1}" if k >= 8 else ""),
                "description": f"{cat} tag", "category": cat,
                "color": COLORS[int(rng.random() * len(COLORS))], "color_text": "#ffffff",
                "position": k, "created_at": iso_ms(c), "updated_at": iso_ms(u),
            })  # fmt: skip
    g.store.table("tags").load(rows)
    return by_cat


def definitions(g: Gen, by_cat: dict[str, list[str]]) -> dict[str, list[str]]:
    """Health-score and calculated-metric definitions (company metrics point at them)."""
    rng, stamp = _stamps(g, "health_scores", 20)
    hs: list[dict] = []
    for i in range(g.count("health_scores", 6, minimum=3, linear=False)):
        c, u = stamp()
        hs.append({
            "id": g.new_id(c), "name": f"Health score {i + 1}",
            "description": "Weighted product usage and sentiment", "kpiType": "health_score",
            "globalHealthScoreImpact": LEVELS[i % 3],
            "tags": [by_cat["health_score"][i % len(by_cat["health_score"])]] if i % 2 else [],
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
        })  # fmt: skip
    rng, stamp = _stamps(g, "calculated_metrics", 10)
    cms: list[dict] = []
    for i in range(g.count("calculated_metrics", 4, minimum=2, linear=False)):
        c, u = stamp()
        cms.append({
            "id": g.new_id(c), "name": f"Metric {i + 1}", "description": "Events per week",
            "type": "company" if i % 3 else "people", "frequency": 24, "tags": [],
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
        })  # fmt: skip
    g.store.table("health_scores").load(hs)
    g.store.table("calculated_metrics").load(cms)
    return {"health_scores": [h["id"] for h in hs], "calculated_metrics": [m["id"] for m in cms]}


def segments_and_flows(g: Gen, by_cat: dict[str, list[str]]) -> None:
    """Segments of both types, lifecycles with goals, playbooks of both types, surveys."""
    rng, stamp = _stamps(g, "segments", 40)
    r = rng.random
    segs: list[dict] = []
    for i in range(g.count("segments", 12, minimum=4, linear=False)):
        c, u = stamp()
        segs.append({
            "id": g.new_id(c), "name": f"Segment {i + 1}", "goal": "Spot accounts that need care",
            "description": "Spot accounts that need care", "type": "people" if i % 2 else "company",
            "color": COLORS[i % len(COLORS)], "companies_count": int(r() * 50),
            "tags": [by_cat["segment"][i % len(by_cat["segment"])]] if r() < 0.5 else [],
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
        })  # fmt: skip
    g.store.table("segments").load(segs)
    _lifecycles(g, by_cat, [s["id"] for s in segs])
    _playbooks(g, by_cat)
    rng, stamp = _stamps(g, "surveys", 20)
    surveys: list[dict] = []
    for i in range(g.count("surveys", 6, minimum=2, linear=False)):
        c, u = stamp()
        kind = "nps" if i % 2 == 0 else "csat"
        surveys.append({"id": g.new_id(c), "name": f"{kind.upper()} survey {i + 1}", "type": kind,
                        "created_at": iso_ms(c), "updated_at": iso_ms(u)})  # fmt: skip
    g.store.table("surveys").load(surveys)


def _lifecycles(g: Gen, by_cat: dict[str, list[str]], segment_ids: list[str]) -> None:
    rng, stamp = _stamps(g, "lifecycles", 20)
    r = rng.random
    rows: list[dict] = []
    for i in range(g.count("lifecycles", 5, minimum=3, linear=False)):
        c, u = stamp()
        goals = [
            {"id": g.new_id(c), "name": f"Goal {k + 1}", "criteria": "segment",
             "segment": segment_ids[int(r() * len(segment_ids))]}
            for k in range(1 + int(r() * 3))
        ]  # fmt: skip
        rows.append({
            "id": g.new_id(c), "name": ("Onboarding", "Adoption", "Renewal", "Expansion")[i % 4]
            + (f" {i // 4 + 1}" if i >= 4 else ""),
            "description": "Customer journey stage", "startCondition": "segment",
            "startConditionEntity": segment_ids[i % len(segment_ids)],
            "startConditionEntityName": f"Segment {i % len(segment_ids) + 1}",
            "endCondition": "goals_completed", "endConditionEntity": None,
            "endConditionEntityName": None, "daysToComplete": str(30 + 15 * i),
            "daysToStuck": str(14 + 7 * i), "position": i,
            "status": "active" if r() < 0.8 else "inactive", "showInC360": True,
            "tags": [by_cat["lifecycle"][i % len(by_cat["lifecycle"])]] if i % 2 else [],
            "goals": goals, "tasks": [{"name": "Kick-off call", "priority": "high"}],
            "settings": {}, "created_by": None, "created_by_name": "System",
            "updated_by": None, "updated_by_name": "System",
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
        })  # fmt: skip
    g.store.table("lifecycles").load(rows)


def _playbooks(g: Gen, by_cat: dict[str, list[str]]) -> None:
    rng, stamp = _stamps(g, "playbooks", 30)
    r = rng.random
    rows: list[dict] = []
    for i in range(g.count("playbooks", 10, minimum=4, linear=False)):
        c, u = stamp()
        rows.append({
            "id": g.new_id(c), "name": f"Playbook {i + 1}", "description": "Automated outreach",
            "type": "companies" if i % 3 else "people", "position": i,
            "status": "active" if r() < 0.7 else "inactive",
            "tags": [by_cat["playbook"][i % len(by_cat["playbook"])]] if r() < 0.5 else [],
            "settings": {"manual_start": i % 4 == 0},
            "company_counts": {"in_progress": int(r() * 30), "completed": int(r() * 80),
                               "completed_end": int(r() * 50), "completed_exit": int(r() * 10),
                               "completed_manual": int(r() * 5)},
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
        })  # fmt: skip
    g.store.table("playbooks").load(rows)


def survey_responses(g: Gen, people: list[dict]) -> None:
    """Responses to every seeded survey from distinct random people (one per person and
    survey, as scores keep them): NPS 0-10, CSAT 1-5, the person's e-mail, name and first
    company, dated over the two years before now (§11). INF: like every listed object they
    carry ``created_at``/``updated_at`` too (the notes list neither)."""
    surveys = list(g.store.table("surveys").rows.values())
    rng = g.rng("survey_responses")
    r, rows = rng.random, []
    per_survey = g.count("survey_responses", 120) // max(1, len(surveys))
    for survey in surveys:
        hi, lo = (10, 0) if survey["type"] == "nps" else (5, 1)
        picks = rng.sample(range(len(people)), min(max(1, per_survey), len(people)))
        for k, i in enumerate(picks):
            person = people[i]
            t = g.start + (g.now - g.start) * r()
            rows.append({
                "id": g.new_id(t), "survey": survey["id"], "email": person["email"],
                "name": person["name"], "score": lo + int(r() * (hi - lo + 1)),
                "comment": COMMENTS[int(r() * len(COMMENTS))], "responseDate": iso_ms(t),
                "company": (person["companies"] or [None])[0], "people": person["id"],
                "extraQuestions": [{"question": QUESTIONS[k % 2], "answer": "Yes"}]
                if r() < 0.3 else [], "created_at": iso_ms(t), "updated_at": iso_ms(t),
            })  # fmt: skip
    g.store.table("survey_responses").load(rows)
