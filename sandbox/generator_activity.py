"""Generated activity: notes (HTML), tasks with checklists, tickets with replies, comments,
files, meetings with participants, time tracks, objectives and financials (§6–§14).

Every row links to a real generated company (and, where the object allows it, one of that
company's people), so joins in the warehouse find their parents. Counts scale linearly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.util import iso_ms

if TYPE_CHECKING:
    from sandbox.seeding import Gen

TOPICS = ("renewal", "onboarding", "pricing", "a bug report", "the roadmap", "training")
TASK_NAMES = ("Schedule QBR", "Send renewal quote", "Check adoption", "Follow up on ticket")
TICKET_TITLES = ("Cannot log in", "Export fails", "Billing question", "Feature request")
EXTS = (("pdf", "application/pdf"), ("png", "image/png"), ("csv", "text/csv"))
LEVELS = ("low", "medium", "high")
STATUSES = ("open", "done", "not relevant")


class _Ctx:
    """Lookups shared by the activity generators."""

    def __init__(self, g: Gen, users, companies, people, tags) -> None:
        self.g, self.users, self.companies, self.people, self.tags = (
            g,
            users,
            companies,
            people,
            tags,
        )
        self.by_company: dict[str, list[dict]] = {}
        for p in people:
            for cid in p["companies"][:1]:
                self.by_company.setdefault(cid, []).append(p)

    def link(self, r) -> tuple[dict, dict | None]:
        """A random company and, when it has any, one of its people."""
        c = self.companies[int(r() * len(self.companies))]
        ppl = self.by_company.get(c["id"])
        return c, (ppl[int(r() * len(ppl))] if ppl else None)

    def tag(self, r, cat: str, p: float = 0.3) -> list[str]:
        ids = self.tags[cat]
        return [ids[int(r() * len(ids))]] if r() < p else []

    def user(self, r) -> dict:
        return self.users[1 + int(r() * (len(self.users) - 1))]


def generate_all(g: Gen, users, companies, people, tags) -> None:
    ctx = _Ctx(g, users, companies, people, tags)
    notes = _notes(ctx)
    tasks = _tasks(ctx)
    _tickets(ctx)
    _comments(ctx, notes, tasks)
    _files(ctx)
    _meetings(ctx)
    _time_tracks(ctx)
    _objectives(ctx)
    _financials(ctx)


def _notes(ctx: _Ctx) -> list[dict]:
    g = ctx.g
    rng = g.rng("notes")
    r, n = rng.random, g.count("notes", 300)
    stamp, rows = g.stamper(rng, n), []
    for i in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        on_person = person is not None and r() < 0.4
        who: dict = person if on_person and person is not None else comp
        author = ctx.user(r)
        integ = r() < 0.15
        rows.append({
            "id": g.new_id(c_t),
            "text": f"<p>Call with <b>{(person or comp)['name']}</b> about "
                    f"{TOPICS[int(r() * len(TOPICS))]}.</p><ul><li>Next step agreed</li></ul>",
            "entity": who["id"],
            "entityModel": "Customer" if on_person else "Company",
            "entityName": who["name"],
            "company": [comp["id"]], "people": [who["id"]] if on_person else [],
            "tags": ctx.tag(r, "note"), "files": [], "sticky": r() < 0.1, "status": "active",
            "showInPortal": r() < 0.2, "createdBy": author["id"], "createdByType": "user",
            "externalProvider": "hubspot" if integ else None,
            "externalId": f"hs-{i}" if integ else None,
            "metadata": {"mentionedUsers": [ctx.user(r)["id"]] if r() < 0.2 else []},
            "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("notes").load(rows)
    return rows


def _tasks(ctx: _Ctx) -> list[dict]:
    g = ctx.g
    rng = g.rng("tasks")
    r, n = rng.random, g.count("tasks", 300)
    stamp, rows = g.stamper(rng, n), []
    for i in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        owner, status = ctx.user(r), STATUSES[int(r() * 3)]
        checklist = [{"name": f"Step {k + 1}", "completed": r() < 0.5,
                      "assignedTo": owner["id"], "dueDate": iso_ms(c_t + 86_400 * (k + 1))}
                     for k in range(int(r() * 4))]  # fmt: skip
        rows.append({
            "id": g.new_id(c_t), "name": TASK_NAMES[int(r() * len(TASK_NAMES))],
            "priority": LEVELS[int(r() * 3)], "status": status,
            "description": "<p>Check {company:name} before the call.</p>",
            "dueDate": iso_ms(c_t + 86_400 * (1 + int(r() * 30))),
            "company": comp["id"], "company_id": comp["company_id"],
            "people": person["id"] if person else None,
            "user_id": person["user_id"] if person else None,
            "assignedTo": owner["id"], "assignedToEmail": owner["email"],
            "assignedToName": owner["name"], "assignedToModel": "User",
            "assignedToCustomer": False, "collaborators": [], "collaboratorsDetailed": [],
            "checklist": checklist, "tags": ctx.tag(r, "task"), "files": [],
            "showInPortal": False, "externalId": f"task-{i}" if r() < 0.3 else None,
            "completedAt": iso_ms(u_t) if status == "done" else None,
            "completedBy": owner["id"] if status == "done" else None,
            "completedByName": owner["name"] if status == "done" else None,
            "snoozedUntilDate": None, "label": None, "createdBy": ctx.user(r)["id"],
            "createdByType": "user", "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("tasks").load(rows)
    return rows


def _tickets(ctx: _Ctx) -> None:
    g = ctx.g
    rng = g.rng("tickets")
    r, n = rng.random, g.count("tickets", 150)
    stamp, rows = g.stamper(rng, n), []
    for i in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        agent = ctx.user(r)
        replies = [{"body": f"<p>Reply {k + 1}</p>", "from": agent["email"] if k % 2 else
                    (person or {}).get("email", "customer@example.com"),
                    "submittedAt": iso_ms(c_t + 3600 * (k + 1)),
                    "type": ("incoming", "outgoing", "note")[k % 3]}
                   for k in range(int(r() * 5))]  # fmt: skip
        rows.append({
            "id": g.new_id(c_t), "externalId": f"ZD-{10000 + i}",
            "title": TICKET_TITLES[int(r() * len(TICKET_TITLES))],
            "description": "<p>Customer reported a problem.</p>",
            "ticketStatus": ("open", "pending", "solved", "closed")[int(r() * 4)],
            "status": "active", "priority": ("low", "normal", "high", "urgent")[int(r() * 4)],
            "provider": "zendesk", "assignedTo": agent["id"], "assignedToName": agent["name"],
            "company": [comp["id"]], "companyNames": [{"id": comp["id"], "name": comp["name"]}],
            "people": [{"id": person["id"]}] if person else [],
            "peopleNames": [person["name"]] if person else [], "tags": [],
            "rating": None, "ratingAt": None, "openedAt": iso_ms(c_t),
            "lastModifiedAt": iso_ms(u_t), "replies": replies,
            "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("tickets").load(rows)


def _comments(ctx: _Ctx, notes: list[dict], tasks: list[dict]) -> None:
    g = ctx.g
    rng = g.rng("comments")
    r, rows = rng.random, []
    for model, parents in (("Note", notes), ("Task", tasks)):
        for parent in parents:
            if r() >= 0.3:
                continue
            for _ in range(1 + int(r() * 3)):
                t = g.now - (g.now - (g.start + 1)) * r() * r()
                rows.append({"id": g.new_id(t), "entity": parent["id"], "entityModel": model,
                             "text": "<p>Agreed, let's do it.</p>",
                             "createdBy": ctx.user(r)["id"],
                             "created_at": iso_ms(t), "updated_at": iso_ms(t)})  # fmt: skip
    g.store.table("comments").load(rows)


def _files(ctx: _Ctx) -> None:
    g = ctx.g
    rng = g.rng("files")
    r, n = rng.random, g.count("files", 100)
    stamp, rows = g.stamper(rng, n), []
    for i in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        ext, mime = EXTS[int(r() * 3)]
        rows.append({
            "id": g.new_id(c_t), "account": "sandbox", "name": f"document-{i}.{ext}",
            "extension": ext, "mimeType": mime, "size": int(1_000 + r() * 5e6),
            "showInPortal": r() < 0.2, "companies": [comp["id"]],
            "peoples": [person["id"]] if person and r() < 0.5 else [],
            "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("files").load(rows)


def _meetings(ctx: _Ctx) -> None:
    g = ctx.g
    rng = g.rng("meetings")
    r, n = rng.random, g.count("meetings", 200)
    stamp, rows = g.stamper(rng, n), []
    for i in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        org = ctx.user(r)
        dur = 900 * (1 + int(r() * 4))
        parts = [
            {
                "name": org["name"],
                "email": org["email"],
                "people": None,
                "status": "accepted",
                "organizer": True,
                "optional": False,
                "comment": None,
            }
        ]
        if person:
            parts.append(
                {
                    "name": person["name"],
                    "email": person["email"],
                    "people": person["id"],
                    "status": ("accepted", "tentative", "needsAction")[int(r() * 3)],
                    "organizer": False,
                    "optional": r() < 0.2,
                    "comment": None,
                }
            )
        rows.append({
            "id": g.new_id(c_t), "title": f"Sync with {comp['name']}", "description": "Agenda",
            "location": "Zoom", "startAt": iso_ms(c_t + 86_400), "endAt": iso_ms(c_t + 86_400 + dur),
            "duration": dur, "recurring": r() < 0.1, "direction": ("outgoing", "incoming")[i % 2],
            "organizer": {"name": org["name"], "email": org["email"], "people": None},
            "participants": parts, "company": [comp["id"]],
            "people": [person["id"]] if person else [], "tags": ctx.tag(r, "meeting"),
            "externalId": f"gcal-{i}", "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("meetings").load(rows)


def _time_tracks(ctx: _Ctx) -> None:
    g = ctx.g
    rng = g.rng("time_tracks")
    r, n = rng.random, g.count("time_tracks", 200)
    stamp, rows = g.stamper(rng, n), []
    for _ in range(n):
        c_t, u_t = stamp()
        comp, person = ctx.link(r)
        rows.append({
            "id": g.new_id(c_t), "name": ("Onboarding call", "QBR prep", "Training")[int(r() * 3)],
            "duration": 300 * (1 + int(r() * 24)), "startDate": iso_ms(c_t - 3600),
            "company": [comp["id"]], "people": [person["id"]] if person and r() < 0.5 else [],
            "tags": ctx.tag(r, "time_tracker"), "user": ctx.user(r)["id"],
            "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
        })  # fmt: skip
    g.store.table("time_tracks").load(rows)


def _objectives(ctx: _Ctx) -> None:
    g = ctx.g
    rng = g.rng("objectives")
    r, rows = rng.random, []
    stamp = g.stamper(rng, 2 * len(ctx.companies))
    for comp in ctx.companies:
        for k in range(1 + int(r() * 3)):
            c_t, u_t = stamp()
            owner = ctx.user(r)
            status = ("not_started", "in_progress", "paused", "completed")[int(r() * 4)]
            rows.append({
                "id": g.new_id(c_t), "company": comp["id"], "name": f"Objective {k + 1}",
                "description": "Reach the agreed adoption level", "importance": LEVELS[int(r() * 3)],
                "risk": LEVELS[int(r() * 3)], "health": int(r() * 6),
                "completionPercentage": 100 if status == "completed" else int(r() * 100),
                "completionType": "manual", "completionAttribute": None, "valueBaseline": "10",
                "valueTarget": "100", "valueCurrent": str(int(r() * 100)), "objectiveStatus": status,
                "startAt": iso_ms(c_t), "dueAt": iso_ms(c_t + 86_400 * 90),
                "completedAt": iso_ms(u_t) if status == "completed" else None, "tags": [],
                "assignedTo": owner["id"], "assignedToName": owner["name"],
                "collaborators": [], "created_at": iso_ms(c_t), "updated_at": iso_ms(u_t),
            })  # fmt: skip
    g.store.table("customer_objectives").load(rows)


def _financials(ctx: _Ctx) -> None:
    g = ctx.g
    for name, per_company in (("deals", 0.5), ("invoices", 1.5), ("subscriptions", 0.75)):
        rng = g.rng(name)
        r, n = rng.random, g.count(name, 200 * per_company)
        stamp, rows = g.stamper(rng, n), []
        for i in range(n):
            c_t, u_t = stamp()
            comp, person = ctx.link(r)
            row = {
                "id": g.new_id(c_t),
                "externalIds": {"custify": f"{name[:3]}-{i + 1}"},
                "company": comp["id"],
                "people": person["id"] if person else None,
                "metadata": {},
                "created_at": iso_ms(c_t),
                "updated_at": iso_ms(u_t),
            }
            row.update(_financial_fields(name, r, c_t, comp))
            rows.append(row)
        g.store.table(name).load(rows)


def _financial_fields(name: str, r, t: float, comp: dict) -> dict:
    if name == "deals":
        status = ("won", "pending", "lost")[int(r() * 3)]
        return {"name": f"{comp['name']} expansion", "status": status,
                "value": int(1_000 + r() * 50_000), "addedAt": iso_ms(t),
                "wonAt": iso_ms(t + 86_400 * 20) if status == "won" else None,
                "lostAt": iso_ms(t + 86_400 * 20) if status == "lost" else None}  # fmt: skip
    if name == "invoices":
        total = round(100 + r() * 10_000, 2)
        paid = r() < 0.8
        return {"status": "paid" if paid else "unpaid", "total": total,
                "amountPaid": total if paid else 0.0, "invoicedAt": iso_ms(t),
                "paidAt": iso_ms(t + 86_400 * 7) if paid else None}  # fmt: skip
    mrr = round(50 + r() * 5_000, 2)
    return {
        "plan": comp["plan"], "mrr": mrr, "billingPeriod": 1, "billingPeriodUnit": "month",
        "startedAt": iso_ms(t), "canceledAt": None, "currentCycleStartAt": iso_ms(t),
        "currentCycleEndAt": iso_ms(t + 86_400 * 30), "nextBillingAt": iso_ms(t + 86_400 * 30),
        "lastInvoiceStatus": "paid", "lastTransactionStatus": "success", "dueInvoicesCount": 0,
        "dueInvoicesSince": None, "dueInvoicesTotal": 0.0, "paidInvoicesCount": int(r() * 24),
        "paidInvoicesTotal": round(mrr * 12, 2),
    }  # fmt: skip
