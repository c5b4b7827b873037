"""Rich rendering of progress and summaries; reads reports, never changes them.

Values from reports and warehouses (errors, notes, cell contents) go in as ``Text``: rich would
read ``[syncs.crm]`` in a message as markup and swallow it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text


def _events_text(events: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(events.items())) or "-"


class ExtractProgress:
    """A live table, one line per object: status, rows, pages, requests, 429s."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: dict[str, Any] = {}
        self.shown: set[str] = set()
        self.live = Live(self._table(), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> ExtractProgress:
        if self.console.is_terminal:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.console.is_terminal:
            self.live.__exit__(None, None, None)

    def update(self, report: Any) -> None:
        self.rows[report.object] = report
        if self.console.is_terminal:
            self.live.update(self._table())
        elif report.status in ("done", "failed", "skipped") and report.object not in self.shown:
            self.shown.add(report.object)  # a line per finished object off a terminal (cron)
            self.console.print(
                f"{report.object}: {report.status}, {report.rows} rows, "
                f"{report.requests} requests, {report.rate_limited} x 429"
            )

    def _table(self) -> Table:
        table = Table(title="Extracting", expand=False)
        for col in ("object", "status", "rows", "pages", "requests", "429s"):
            table.add_column(col, justify="left" if col in ("object", "status") else "right")
        for r in self.rows.values():
            table.add_row(
                r.object, r.status, str(r.rows), str(r.pages), str(r.requests), str(r.rate_limited)
            )
        return table


def extract_summary(report: Any) -> Table:
    table = Table(
        title=f"Extract {report.run_id} -> {report.destination}:{report.dataset} "
        f"({report.seconds:.1f} s, {report.requests} requests, {report.rate_limited} x 429)"
    )
    for col in ("object", "mode", "rows", "requests", "events", "cursor", "note"):
        table.add_column(col, justify="right" if col in ("rows", "requests") else "left")
    for r in report.objects.values():
        note = r.note
        if r.deleted:
            note = f"{r.deleted} deleted; {note}".strip("; ")
        table.add_row(
            r.object, r.mode, str(r.rows), str(r.requests), _events_text(r.events),
            (r.cursor or "-")[:19], Text(note),
        )  # fmt: skip
    changes = [
        f"{c.table}.{c.column} ({c.data_type}): "
        + ("new field" if c.kind == "new_column" else "type changed, loaded into a variant column")
        for c in report.schema_changes
    ]
    if changes:
        table.caption = "Custify's data changed shape:\n" + "\n".join(changes)
    return table


class PushProgress:
    """One progress line per sync: rows done of the diff."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        )  # fmt: skip
        self.tasks: dict[str, Any] = {}
        self.finished: set[str] = set()

    def __enter__(self) -> PushProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, sync: str, done: int, total: int) -> None:
        if sync not in self.tasks:
            self.tasks[sync] = self.progress.add_task(sync, total=total)
        self.progress.update(self.tasks[sync], completed=done, total=total)
        if not self.console.is_terminal and done >= total and sync not in self.finished:
            self.finished.add(sync)  # a log line per finished sync when not on a terminal
            self.console.print(f"{sync}: {done} of {total} rows sent")


def _example(change: dict[str, Any]) -> str:
    """``key  field: holds -> sends (why)`` for one planned field change."""
    what = change.get("field") or change.get("op") or ""
    held = change.get("holds")
    held = "(nothing)" if held is None else repr(_short(held))
    sends = _short(change.get("sends") or "")
    return f"  {change['key']}  {what}: {held} -> {sends!r} ({change['why']})"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_caption(report: Any) -> str:
    """Per sync: field changes by reason and a few examples (dry runs point at the plan)."""
    lines: list[str] = []
    for s in report.syncs:
        changes = getattr(s, "changes", None) or {}
        if not changes:
            continue
        counts = ", ".join(f"{n} {why}" for why, n in sorted(changes.items()))
        where = f"; every change in {s.name}__plan" if report.dry_run else ""
        lines.append(f"{s.name}: {counts}{where}")
        lines += [_example(c) for c in getattr(s, "examples", [])]
    return "\n".join(lines)


def push_summary(report: Any) -> Table:
    title = "Dry run (nothing sent)" if report.dry_run else f"Push {report.run_id}"
    table = Table(title=f"{title}: {report.requests} requests")
    caption = plan_caption(report)
    table.caption = Text(caption) if caption else None
    table.caption_justify = "left"
    cols = ("sync", "planned", "sent", "confirmed", "rejected", "failed", "requests", "road",
            "notes")  # fmt: skip
    for col in cols:
        left = col in ("sync", "planned", "road", "notes")
        table.add_column(col, justify="left" if left else "right")
    for s in report.syncs:
        notes = "; ".join([*(s.warnings or []), *([s.error] if s.error else [])])
        if s.unconfirmed:
            notes = f"{s.unconfirmed} unconfirmed (retried next run); {notes}".strip("; ")
        table.add_row(
            s.name, _events_text(s.planned), str(s.sent), str(s.confirmed), str(s.rejected),
            str(s.failed), str(s.requests), Text(getattr(s, "road", "") or "-"), Text(notes),
        )  # fmt: skip
    return table


def extract_status_tables(status: Any) -> list[Table]:
    run = status.last_run
    title = "No extract has run yet"
    if run:
        title = (
            f"Last extract {run['run_id']} finished {run['finished_at']}: {run['rows']} rows, "
            f"{run['requests']} requests, {run['events']} events"
        )
    objects = Table(title=f"{title} ({status.destination}:{status.dataset})")
    for col in ("object", "rows", "cursor", "last scan", "mode"):
        objects.add_column(col, justify="right" if col == "rows" else "left")
    for o in status.objects:
        last = o.last_scan_at.strftime("%Y-%m-%d %H:%M:%S") if o.last_scan_at else "-"
        objects.add_row(o.object, str(o.rows), o.cursor or "-", last, o.last_mode or "-")
    tables = Table(title="Rows per table")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, n in status.tables.items():
        tables.add_row(name, str(n))
    return [objects, tables]


def sync_status_table(statuses: list[Any]) -> Table:
    table = Table(title="Syncs")
    for col in ("sync", "last run", "status", "confirmed", "pending", "failed", "rejected"):
        table.add_column(col, justify="left" if col in ("sync", "last run", "status") else "right")
    for s in statuses:
        last = s.last_run_at.strftime("%Y-%m-%d %H:%M:%S") if s.last_run_at else "never"
        table.add_row(
            s.name, last, s.last_status or "-", str(s.confirmed), str(s.pending), str(s.failed),
            str(s.rejected),
        )  # fmt: skip
    return table


def print_frame(frame: Any, output: str) -> None:
    """A query result on stdout: a table for people, CSV or JSON lines for programs."""
    import sys

    if output == "csv":
        sys.stdout.write(frame.write_csv())
    elif output == "json":
        sys.stdout.write(frame.write_ndjson())
    else:
        table = Table(caption=f"{frame.height} rows")
        for name in frame.columns:
            table.add_column(name)
        for row in frame.iter_rows():
            table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
        Console(width=None if sys.stdout.isatty() else 160).print(table)
    sys.stdout.flush()
