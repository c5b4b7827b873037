"""Seeded generator of a realistic, linked Custify account.

Deterministic from ``seed``: each table draws from its own ``random.Random`` named after the
seed and the table, and ids come from one counter in a fixed generation order. Scale 1 is
about 200 companies and 1,000 people; activity objects scale linearly, configuration objects
(health scores, segments, lifecycles, playbooks, surveys, tags) with the square root.
Rows are plain dicts built in tight loops (no per-row objects) so 100,000 people take a few
seconds and a million stay within a few GB. ``created_at``/``updated_at`` spread over the
two years before the clock's now.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterable, Mapping

from models.rows import CustifyObject
from sandbox import generator_activity, generator_config, generator_generic
from sandbox.seeding import Gen
from sandbox.store import Store
from sandbox.util import ObjectIds, iso_ms

#: Tables the hand-written generators fill (their data needs realism: links, HTML, names);
#: every other table the registry lists is seeded from its field types.
HAND_WRITTEN = frozenset({
    "users", "tags", "health_scores", "calculated_metrics", "companies", "people", "segments",
    "lifecycles", "playbooks", "surveys", "notes", "tasks", "tickets", "comments", "files",
    "meetings", "time_tracks", "customer_objectives", "deals", "invoices", "subscriptions",
    "survey_responses",
})  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Ana Ben Carla Dan Eva Farid Grace Hugo Ines Jon Kira Liam Mia Noah Olga Paul Quinn Rosa "
    "Sam Tara Umar Vera Will Xena Yuki Zoe Ada Bruno Chloe Diego Elif Femi Gina Hana Ivan Jade"
)
LAST = _words(
    "Popescu Smith Garcia Muller Rossi Novak Kim Silva Dubois Jensen Kowalski Ionescu Moreau "
    "Tanaka Okafor Larsen Costa Fischer Horvat Petrov Walsh Nguyen Haddad Berg Lopez Meyer"
)
WORDS = _words(
    "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent Tyrell Cyberdyne Wonka "
    "Aperture Oscorp Nakatomi Gringotts Monarch Pied Piper Dunder Mifflin Sterling Cooper"
)
SUFFIX = ("Inc", "Ltd", "GmbH", "SRL", "Labs", "Group", "Systems", "Software", "Partners")
INDUSTRIES = ("SaaS", "Fintech", "Healthcare", "Retail", "Education", "Logistics", "Media")
PLANS = ("Free", "Starter", "Growth", "Business", "Enterprise")
ROLES = ("Admin", "Manager", "Analyst", "Engineer", "Executive", "Support")
REGIONS = ("EMEA", "NA", "LATAM", "APAC")


def generate(store: Store, objects: Iterable[CustifyObject], *, seed: int, scale: float,
             now: float, ids: ObjectIds, ties: int = 0,
             sizes: Mapping[str, int] | None = None) -> None:  # fmt: skip
    """Fill ``store`` with a whole account. Order matters: ids come from one counter.

    ``sizes`` overrides the row count of single tables (e.g. ``{"people": 1_000_000}`` for a
    benchmark that needs many people but not a million-people account's worth of notes).
    Tables of ``objects`` that no hand-written generator fills are seeded last, from their
    registry rows (``generator_generic``), so the hand-written tables' ids never move.
    """
    g = Gen(store, seed, scale, now, ids, ties, sizes)
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of acyclic dicts: the cyclic collector would rescan them all
    try:
        _generate(g, store)
        for obj in objects:
            if obj.list_path and obj.name not in HAND_WRITTEN and obj.name in store.tables:
                generator_generic.seed(g, obj)
    finally:
        if gc_was_on:
            gc.enable()


def _generate(g: Gen, store: Store) -> None:
    users = _users(g)
    tags = generator_config.tags(g)
    config = generator_config.definitions(g, tags)
    companies = _companies(g, users, tags, config)
    people = _people(g, companies, tags)
    store.table("companies").load(companies)
    generator_config.segments_and_flows(g, tags)
    generator_activity.generate_all(g, users, companies, people, tags)
    store.table("users").load(users)
    generator_config.survey_responses(g, people)  # last: earlier ids stay as they were


def _users(g: Gen) -> list[dict]:
    """The account's Custify team members: owners, assignees, note authors."""
    rng, out = g.rng("users"), []
    for i in range(8):
        first, last = FIRST[i * 3 % len(FIRST)], LAST[i * 5 % len(LAST)]
        t = g.start + rng.random() * 86_400 * 30
        out.append({
            "id": g.new_id(t), "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@cs-team.example",
            "role": "admin" if i == 0 else "csm", "created_at": iso_ms(t), "updated_at": iso_ms(t),
        })  # fmt: skip
    return out


def _companies(g: Gen, users: list[dict], tags: dict, config: dict) -> list[dict]:
    rng = g.rng("companies")
    r = rng.random
    n = g.count("companies", 200)
    stamp = g.stamper(rng, n)
    ctags, hs_ids, cm_ids = tags["company"], config["health_scores"], config["calculated_metrics"]
    out: list[dict] = []
    for i in range(n):
        created, updated = stamp()
        name = f"{WORDS[int(r() * len(WORDS))]} {WORDS[int(r() * len(WORDS))]} {SUFFIX[i % 9]}"
        csm, acc = users[1 + int(r() * 7)], users[int(r() * 8)]
        plan_i = int(r() * len(PLANS))
        score = int(r() * 101)
        label, color = generator_config.health_label(score)
        upd = iso_ms(updated)
        hs = {h: {"score": int(r() * 101), "absolute_value": round(r() * 10, 2), "label": label,
                  "color": color, "updated_at": upd} for h in hs_ids}  # fmt: skip
        hs["global"] = {"score": score, "absolute_value": score / 10, "label": label,
                        "color": color, "updated_at": upd}  # fmt: skip
        out.append({
            "id": g.new_id(created), "company_id": f"C{i + 1:06d}", "name": name,
            "signed_up_at": iso_ms(created - r() * 86_400 * 60),
            "size": int(5 + r() * 2000), "website": f"https://{name.split()[0].lower()}{i}.example",
            "industry": INDUSTRIES[int(r() * len(INDUSTRIES))], "plan": PLANS[plan_i],
            "monthly_revenue": plan_i * 500 + int(r() * 500), "churned": r() < 0.08,
            "owners_csm": csm["id"], "owners_csm_email": csm["email"], "owners_csm_name": csm["name"],
            "owners_account": acc["id"], "owners_account_email": acc["email"],
            "owners_account_name": acc["name"],
            "parent_companies": [out[int(r() * i)]["id"]] if i > 10 and r() < 0.05 else [],
            "custom_attributes": {
                "region": REGIONS[int(r() * 4)], "is_enterprise": plan_i == 4,
                "seats": int(1 + r() * 500), "renewal_at": iso_ms(updated + r() * 3e7),
                "contract_value": {"value": round(r() * 1e5, 2), "currency": "USD"},
            },
            "tags": [ctags[int(r() * len(ctags))]] if r() < 0.4 else [],
            "metrics": {"health_scores": hs,
                        "calculated_metrics": {c: round(r() * 100, 1) for c in cm_ids},
                        "people_count": 0},
            "created_at": iso_ms(created), "updated_at": upd,
        })  # fmt: skip
    return out


def _people(g: Gen, companies: list[dict], tags: dict) -> list[dict]:
    rng = g.rng("people")
    r = rng.random
    n, nc = g.count("people", 1000), len(companies)
    stamp = g.stamper(rng, n)
    ptags, counts = tags["people"], [0] * nc
    nf, nl = len(FIRST), len(LAST)
    out: list[dict] = []
    for i in range(n):
        created, updated = stamp()
        ci = int(r() * nc)
        counts[ci] += 1
        links = [companies[ci]["id"]]
        if r() < 0.08:
            links.append(companies[int(r() * nc)]["id"])
        first, last = FIRST[int(r() * nf)], LAST[int(r() * nl)]
        domain = companies[ci]["website"][8:]
        has_uid = r() < 0.9
        out.append({
            "id": g.new_id(created), "user_id": f"U{i + 1:07d}" if has_uid else None,
            "email": f"{first.lower()}.{last.lower()}.{i}@{domain}", "name": f"{first} {last}",
            "phone": f"+40 7{int(r() * 1e8):08d}" if r() < 0.5 else None,
            "signed_up_at": iso_ms(created - r() * 86_400 * 30),
            "session_count": int(r() * 400), "unsubscribed_from_emails": r() < 0.05,
            "unsubscribed_from_calls": r() < 0.03, "last_seen_at": iso_ms(updated),
            "custom_attributes": {
                "role": ROLES[int(r() * len(ROLES))], "seats_used": int(r() * 50),
                "satisfaction": round(r() * 5, 1), "is_admin": r() < 0.15,
                "last_login_at": iso_ms(updated - r() * 86_400 * 3),
            },
            "companies": list(dict.fromkeys(links)),
            "tags": [ptags[int(r() * len(ptags))]] if r() < 0.3 else [],
            "created_at": iso_ms(created), "updated_at": iso_ms(updated),
        })  # fmt: skip
    for c, k in zip(companies, counts, strict=True):
        c["metrics"]["people_count"] = k
    g.store.table("people").load(out)
    return out


class SharedEmails:
    """The ``shared_emails`` knob: pairs of people with different user_ids and one e-mail.

    Real accounts hold such people because §2's upsert rule 4 creates a new person when an
    e-mail matches someone with another user_id. Pairs are drawn from one seeded RNG in the
    table's (deterministic) order, so raising the knob adds pairs and never reshuffles the
    ones already made. The second person of a pair takes the first one's e-mail, so lookups
    by e-mail (the oldest match, INF) find the first.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"custify-sandbox:{seed}:shared_emails")
        self.pairs: list[tuple[str, str]] = []
        self._used: set[str] = set()

    def grow(self, store: Store, wanted: int, *, bump: bool) -> None:
        """Make pairs until ``wanted`` exist; ``bump`` = a change in Custify (``updated_at``)."""
        if wanted < len(self.pairs):
            raise ValueError(f"shared_emails cannot shrink on a running sandbox "
                             f"({len(self.pairs)} pairs exist; restart it with fewer)")  # fmt: skip
        if wanted == len(self.pairs):
            return
        table = store.table("people")
        free = [p for p, r in table.rows.items() if r.get("user_id") and p not in self._used]
        need = 2 * (wanted - len(self.pairs))
        if len(free) < need:
            raise ValueError(f"shared_emails={wanted}: only {len(free)} more people with a "
                             "user_id to pair")  # fmt: skip
        picked = [free.pop(int(self._rng.random() * len(free))) for _ in range(need)]
        for a, b in zip(picked[::2], picked[1::2], strict=True):
            first, second = sorted((a, b))  # the oldest keeps its e-mail (lookups find it)
            email = table.rows[first]["email"]
            if bump:
                store.update("people", second, email=email)
            else:
                table.put({**table.rows[second], "email": email})
            self.pairs.append((first, second))
            self._used.update((first, second))
