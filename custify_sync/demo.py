"""`custify-sync demo`: the main job end to end on embedded defaults, offline.

1. Start the sandbox over real HTTP on 127.0.0.1 (Custify's real 100-per-10-s limit on).
2. Extract all 14 objects into ``custify.duckdb`` (dataset ``custify``).
3. Decide in SQL what Custify should hold (a view per sync) and push it: people attributes
   upserted through /batch, a tag added in bulk, one event per person.
4. Make changes inside "Custify" (a new person, an edited ticket, a deleted note), extract again
   with reconcile, and show the trigger events that run detected.
5. Push again: only the rows the new person adds are sent; everything else is already in
   Custify (confirmed by the ledger and the fresh extract), so it costs no request.

The demo writes its configuration to ``pipelines.demo.toml`` next to the database, so every
step can be replayed by hand with the printed commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from models.stop import StopFlag

DEMO_TOML = """\
# Written by `custify-sync demo`: the syncs the demo pushed. Replay a step by hand with
#   CUSTIFY_BASE_URL=<sandbox url> CUSTIFY_API_KEY=<key> custify-sync push -c {name}
# Everything the engine writes besides custify.duckdb lives in .custify-sync/ next to it.
[warehouse]
destination = "duckdb"
duckdb_path = "custify.duckdb"
dataset = "custify"

# People attributes decided in SQL: one /batch request carries up to 100 upserts.
[syncs.people_focus]
object = "people"
action = "upsert"
match = "user_id"
query = \"\"\"
SELECT user_id,
       CASE WHEN session_count < 100 THEN 'reengage' ELSE 'expand' END AS csm_focus
FROM people WHERE user_id IS NOT NULL\"\"\"
[syncs.people_focus.mapping]
user_id = "user_id"
csm_focus = "custom_attributes.csm_focus"

# A tag on the people who barely use the product: one PATCH /tag/entity per 100 people.
[syncs.low_usage_tag]
object = "tags"
action = "entity"
match = "user_id"
query = \"\"\"
SELECT user_id, '{tag}' AS tag, 'add' AS type
FROM people WHERE user_id IS NOT NULL AND session_count < 50\"\"\"

# One event per person, deduplicated by Custify on a deterministic deduplication_id.
[syncs.scored_event]
object = "events"
match = "user_id"
query = \"\"\"
SELECT user_id, 'warehouse_scored' AS name, '2026-01-01T00:00:00Z' AS created_at, session_count
FROM people WHERE user_id IS NOT NULL\"\"\"
[syncs.scored_event.mapping]
user_id = "user_id"
name = "name"
created_at = "created_at"
session_count = "metadata.sessions"
"""


def run_demo(*, workdir: Path, scale: float, stop: StopFlag | None = None) -> int:
    from custify.settings import load_settings
    from sandbox import Sandbox, serve
    from warehouse import warehouse_config

    console = Console(width=None if sys.stdout.isatty() else 140)
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(Rule("custify-sync demo"))
    console.print(f"Starting the offline Custify sandbox (scale {scale:g}) …")
    sb = Sandbox(seed=0, scale=scale)
    with serve(sb) as server:
        tag = _pick_tag(sb)
        config = (workdir / "pipelines.demo.toml").absolute()
        config.write_text(DEMO_TOML.format(name=config.name, tag=tag))
        env = {"CUSTIFY_BASE_URL": server.url, "CUSTIFY_API_KEY": sb.api_key}
        settings = load_settings(config, env=env)
        cfg = warehouse_config(settings.raw, base_dir=settings.project_dir,
                               state_dir=settings.state_dir)  # fmt: skip
        console.print(f"Sandbox at {server.url}; warehouse {cfg.duckdb_path}\n")
        _extract(console, settings, cfg, "1. Extract every object into DuckDB", False, stop)
        _push(console, settings, cfg, "2. Push what the warehouse decided", stop)
        _change_custify(console, sb)
        _extract(console, settings, cfg, "4. Extract again: trigger events", True, stop)
        _push(console, settings, cfg, "5. Push again: only what changed is sent", stop)
    console.print(Rule("done"))
    binary = _binary()
    console.print(
        f"Explore the result:\n  {binary} sql -c {_short(config)} "
        '"SELECT event_type, count(*) AS n FROM trigger_events GROUP BY 1 ORDER BY 1"\n'
        f"Replay with your own sandbox: {binary} sandbox, then {binary} extract / push "
        f"-c {_short(config)} with the CUSTIFY_BASE_URL and CUSTIFY_API_KEY it prints"
    )
    return 0


def _binary() -> str:
    """How to call this tool from the user's shell: the venv's binary unless it is on PATH."""
    import shutil

    beside = Path(sys.executable).parent / "custify-sync"
    on_path = shutil.which("custify-sync")
    if on_path and Path(on_path).resolve() == beside.resolve():
        return "custify-sync"
    return (
        _short(beside) if beside.exists() else f"{_short(Path(sys.executable))} -m custify_sync.cli"
    )


def _short(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _pick_tag(sb) -> str:
    """A people-category tag of the sandbox account, by name (the engine resolves names)."""
    names = sorted(t["name"] for t in sb.store.rows("tags") if t.get("category") == "people")
    return names[0]


def _extract(console: Console, settings, cfg, title: str, reconcile: bool, stop) -> None:
    from custify_sync.render import ExtractProgress, extract_summary
    from pipelines import run_extract

    console.print(Rule(title))
    with ExtractProgress(console) as progress:
        report = run_extract(settings, warehouse_cfg=cfg, reconcile=reconcile,
                             progress=progress.update, stop=stop)  # fmt: skip
    console.print(extract_summary(report))


def _push(console: Console, settings, cfg, title: str, stop) -> None:
    from custify_sync.render import PushProgress, push_summary
    from reverse_etl import run_push

    console.print(Rule(title))
    with PushProgress(console) as progress:
        report = run_push(settings, None, warehouse_cfg=cfg, progress=progress.update, stop=stop)
    console.print(push_summary(report))


def _change_custify(console: Console, sb) -> None:
    """Changes made by people working in Custify, which the next extract must detect."""
    console.print(Rule("3. Meanwhile, in Custify"))
    person = sb.store.create(
        "people", user_id="demo-new-1", email="new.customer@example.com", name="New Customer"
    )
    ticket = sb.store.rows("tickets")[0]
    sb.store.update("tickets", ticket["id"], ticketStatus="solved")
    note = sb.store.rows("notes")[0]
    sb.store.delete("notes", note["id"])
    console.print(
        f"created person {person['id']}, updated ticket {ticket['id']}, deleted note {note['id']}\n"
    )
