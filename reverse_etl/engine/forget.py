"""GDPR "forget me": one person out of Custify and out of every table, for good.

``forget`` resolves the identifier the user gave (``--email``, ``--user-id`` or ``--id``) to
exactly ONE person, in Custify (``GET /people?email=`` answers with every match and the
filtered list counts them, §2) and in the warehouse's ``people``: two or more is refused before
anything changes (an e-mail two people share, §2 rule 4). Then, in this order:

1. the delete is written ahead to ``_custify_ledger`` (sync ``forget``; its key is the
   tombstone hash, never the identifier), sent (``DELETE /people/{id}``: hard and permanent,
   §2; a 404 means already gone) and its outcome recorded, like every reverse-ETL write;
2. in ONE transaction per destination, every table of the connection's dataset and of dlt's
   merge staging dataset loses the person's rows and every mention of their id, e-mails,
   user ids and names (``warehouse.scrub``), and ``_custify_forgotten`` gains their tombstone
   (``warehouse.forgotten``), which later extracts and pushes consult;
3. dlt's local load packages of the dataset (pending and completed: they hold row data) are
   dropped; a pending one is re-read from Custify by the next extract.

A crash between 1 and 2 is repaired by running the same command again: Custify answers 404,
the warehouse still names the person, and the scrub runs. Nothing here logs a value.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from custify.errors import ConfigError, NotFound
from models.registry import EXTRACTED, get_object
from reverse_etl import ledger
from reverse_etl.identify import dig, filtered_list, get_all
from warehouse import SessionWarehouse, WarehouseConfig, make_pipeline
from warehouse import forgotten as tomb
from warehouse.lock import run_lock
from warehouse.scrub import TableChange, Traces, changes

PERSON = tomb.PERSON
SYNC = "forget"
#: CLI flag -> the registry identifier it names
IDENTIFIERS = {"email": "email", "user_id": "user_id", "id": "id"}


class AmbiguousPerson(ConfigError):
    """The identifier names several people: nothing was done (exit 2)."""


class ForgetIncomplete(ConfigError):
    """Custify forgot the person, the warehouse did not (yet): the rerun finishes it."""


class NoSuchPerson(ConfigError):
    """Neither Custify nor the warehouse knows the identifier (exit 2)."""


@dataclass
class ForgetReport:
    dry_run: bool
    dataset: str
    #: "deleted", "already gone" (404), or "not sent" (dry run)
    custify: str
    tables: list[TableChange] = field(default_factory=list)
    packages: int = 0
    #: the first characters of the tombstone hash of the person's id, to find the ledger row
    reference: str = ""

    @property
    def rows(self) -> int:
        return sum(t.deleted + t.redacted for t in self.tables)


def forget(
    settings: Any,
    *,
    by: str,
    value: str,
    warehouse_cfg: WarehouseConfig,
    connection: str | None = None,
    yes: bool = False,
    dry_run: bool = False,
    client: Any = None,
    by_whom: str | None = None,
    lock_wait_s: float = 0.0,
) -> ForgetReport:
    """Forget the person ``by`` = ``value`` (see the module docstring); ``yes`` is required
    unless ``dry_run``, which only looks up and counts."""
    if by not in IDENTIFIERS or not str(value or "").strip():
        raise ConfigError("forget needs exactly one of --email, --user-id or --id, not empty")
    if not (yes or dry_run):
        raise ConfigError(
            "forget deletes the person in Custify and every trace of them in the warehouse, "
            "for good: pass --yes (or --dry-run to see what it would change)"
        )
    conn = settings.connection(connection)
    cfg = warehouse_cfg.for_connection(conn.name, conn.dataset)
    with run_lock(cfg, command="forget", wait_s=lock_wait_s):
        own_client = client is None
        if own_client:
            from custify.client import CustifyClient

            client = CustifyClient(conn)
        try:
            with SessionWarehouse(cfg) as wh:
                return _forget(wh, client, by, value.strip(), dry_run, by_whom)
        finally:
            if own_client:
                client.close()


def _forget(
    wh: SessionWarehouse, client: Any, by: str, value: str, dry_run: bool, by_whom: str | None
) -> ForgetReport:
    person = _resolve(wh, client, by, value)
    traces = _traces(person)
    with wh.client() as sql:
        stones = tomb.load(sql)
    salt = stones.salts[0] if stones.salts else tomb.new_salt()
    pid = person["id"][0]
    reference = tomb.digest(salt, "id", pid)
    report = ForgetReport(dry_run, wh.cfg.dataset, "not sent", reference=reference[:12])
    if dry_run:
        with wh.client() as sql:
            report.tables = _scrub(wh, sql, traces, apply=False)
        report.packages = _packages(wh.cfg, drop=False)
        return report
    report.custify = _delete_in_custify(wh, client, pid, reference)
    when = dt.datetime.now(dt.UTC)
    by_whom = by_whom or f"{getpass.getuser()}@{socket.gethostname()}"
    stone_rows = tomb.rows(salt, _values(person), when, by_whom)
    if not wh.table_exists(tomb.TABLE):
        wh.create_table(tomb.TABLE, tomb.SCHEMA)
    try:
        with wh.client() as sql, sql.begin_transaction():
            report.tables = _scrub(wh, sql, traces, apply=True)
            _insert_tombstones(wh, sql, stone_rows)
    except Exception as exc:  # the driver's message may quote a cell: never shown
        raise ForgetIncomplete(
            f"Custify: {report.custify}; the warehouse transaction failed "
            f"({type(exc).__name__}) and changed nothing: run the same command again"
        ) from None
    report.packages = _packages(wh.cfg, drop=True)
    return report


def _resolve(wh: SessionWarehouse, client: Any, by: str, value: str) -> dict[str, list[str]]:
    """Every identifier of the ONE person ``by`` = ``value`` names, from Custify and the
    warehouse together (an old e-mail the warehouse still holds is forgotten too)."""
    field_name = IDENTIFIERS[by]
    remote = _in_custify(client, field_name, value)
    local = _in_warehouse(wh, field_name, value)
    ids = sorted({str(r["id"]) for r in remote + local if r.get("id")})
    flag = "--" + by.replace("_", "-")
    if len(ids) > 1:
        raise AmbiguousPerson(
            f"{flag} names {len(ids)} people (Custify and the warehouse together): nothing "
            "was done; forget them one at a time with --id (find their ids with `custify-sync "
            f"sql \"SELECT id, user_id FROM people WHERE {field_name} = '...'\"`)"
        )
    if not ids:
        raise NoSuchPerson(f"no person matches {flag} in Custify or in dataset {wh.cfg.dataset!r}")
    pid = ids[0]
    rows = [r for r in remote + _in_warehouse(wh, "id", pid) if str(r.get("id")) == pid]
    person: dict[str, list[str]] = {"id": [pid], "email": [], "user_id": [], "name": []}
    for row in rows:
        for kind in ("email", "user_id", "name"):
            v = row.get(kind)
            if v is not None and str(v).strip() and str(v) not in person[kind]:
                person[kind].append(str(v))
    if field_name != "id" and value not in person[field_name]:
        person[field_name].append(value)
    return person


def _in_custify(client: Any, field_name: str, value: str) -> list[dict[str, Any]]:
    obj = get_object(PERSON)
    finder = obj.find_by[field_name]
    if field_name == "id":
        try:
            return [client.call(obj.action("get"), by="id", value=value)]
        except NotFound:
            return []
    rows = get_all(client, obj.action("get"), {field_name: value})
    if finder.several and finder.filter_type is not None:  # a get may show one of several
        rows += filtered_list(client, obj, finder, value)
    same = (lambda v: str(v).lower() == value.lower()) if field_name == "email" else (
        lambda v: str(v) == value)  # fmt: skip
    return [r for r in rows if same(dig(r, finder.field))]


def _in_warehouse(wh: SessionWarehouse, field_name: str, value: str) -> list[dict[str, Any]]:
    have = wh.columns(PERSON)
    if field_name not in have:
        return []
    cols = [c for c in ("id", "email", "user_id", "name") if c in have]
    q = wh.quote
    cond = (
        f"lower({q(field_name)}) = lower(%s)" if field_name == "email" else f"{q(field_name)} = %s"
    )
    sql = f"SELECT {', '.join(q(c) for c in cols)} FROM {wh.table(PERSON)} WHERE {cond}"
    return [dict(zip(cols, row, strict=True)) for row in wh.query_rows(sql, [value])]


def _traces(person: dict[str, list[str]]) -> Traces:
    return Traces(
        identifiers=tuple(person["id"] + person["email"] + person["user_id"]),
        names=tuple(person["name"]),
    )


def _values(person: dict[str, list[str]]) -> dict[str, list[str]]:
    return {kind: person[kind] for kind in tomb.KINDS}


def _scrub(wh: SessionWarehouse, sql: Any, traces: Traces, *, apply: bool) -> list[TableChange]:
    """The person object's tables and every table that is not another object's may hold the
    person's own rows; other objects' rows only mention them (redacted, kept)."""
    others = {o.name for o in EXTRACTED if o.name != PERSON}

    def owned(table: str) -> bool:
        return table.split("__", 1)[0] not in others

    return changes(sql, wh.cfg.destination, list(wh.cfg.schemas), traces, owned=owned,
                   skip=lambda t: t == tomb.TABLE, apply=apply)  # fmt: skip


def _insert_tombstones(wh: SessionWarehouse, sql: Any, rows: pl.DataFrame) -> None:
    cols = list(tomb.SCHEMA)
    marks = ", ".join(["%s"] * len(cols))
    target = wh.table(tomb.TABLE)
    for row in rows.iter_rows():
        sql.execute_sql(
            f"INSERT INTO {target} ({', '.join(wh.quote(c) for c in cols)}) VALUES ({marks})",
            *row,
        )


def _delete_in_custify(wh: SessionWarehouse, client: Any, pid: str, reference: str) -> str:
    """The delete, ledgered ahead like every reverse-ETL write (key: the tombstone hash)."""
    ledger.ensure_tables(wh)
    attempt = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    pending = pl.DataFrame(
        [{"attempt_id": attempt, "run_id": f"forget-{attempt[:8]}", "sync": SYNC,
          "key": reference, "op": "delete", "payload_hash": reference, "attempt": 1,
          "attempted_at": now}],
    )  # fmt: skip
    ledger.write_pending(wh, pending)
    outcome = {"attempt_id": attempt, "status": "confirmed", "http_status": 200, "error": None,
               "custify_id": None, "finished_at": None}  # fmt: skip
    result = "deleted"
    try:
        client.call(get_object(PERSON).action("delete"), by="id", value=pid)
    except NotFound:
        outcome["http_status"], result = 404, "already gone"
    except Exception as exc:
        outcome |= {"status": "failed", "http_status": getattr(exc, "status", None),
                    "error": type(exc).__name__}  # fmt: skip
        _record(wh, outcome)
        raise
    _record(wh, outcome)
    return result


def _record(wh: SessionWarehouse, outcome: dict[str, Any]) -> None:
    outcome["finished_at"] = dt.datetime.now(dt.UTC)
    schema: dict[str, Any] = {"attempt_id": pl.String()}
    schema |= {c: ledger.LEDGER_SCHEMA[c] for c in ledger.OUTCOME_COLUMNS}
    ledger.commit_wave(wh, pl.DataFrame([outcome], schema=schema), SYNC, pl.DataFrame())


def _packages(cfg: WarehouseConfig, *, drop: bool) -> int:
    """dlt's local load packages of this dataset (pending and completed): counted, or
    dropped. Completed packages are history dlt keeps on disk with their rows; pending ones
    are re-read from Custify by the next extract (their cursors never advanced)."""
    count = 0
    for name in (cfg.pipeline_name, f"{cfg.pipeline_name}_sql"):
        pipeline = make_pipeline(cfg, pipeline_name=name)
        storage = pipeline._get_load_storage()  # dlt offers no public delete of loaded packages
        pending = len(pipeline.list_extracted_load_packages()) + len(
            pipeline.list_normalized_load_packages()
        )
        loaded = list(pipeline.list_completed_load_packages())
        count += pending + len(loaded)
        if not drop:
            continue
        if pending:  # restores the local state (cursors) to before the dropped packages
            pipeline.abort_packages()
            loaded = list(pipeline.list_completed_load_packages())
        for load_id in loaded:
            storage.loaded_packages.delete_package(load_id, not_exists_ok=True)
    return count
