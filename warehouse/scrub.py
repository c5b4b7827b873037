"""Remove every trace of some values from every table of some schemas, generically, in SQL.

Used by ``custify-sync forget``: nothing here knows the engine's tables. It lists the base
tables of each schema (``information_schema``) and their text-like columns (text, varchar,
JSON), and for each table

- **deletes the rows that are the person's own**: in the tables ``owned(table)`` says can hold
  them (the person object's table and its children, and every table that is not another
  object's: trigger events, ledger, snapshots, ``<sync>__*``, your own tables) a row goes when
  any text cell equals one of the identifiers (id, e-mail, user_id: their record, their child
  rows by ``_parent_id``, their events by ``record_id``, their ledger rows by ``key``), along
  with the dlt child rows hanging off it by ``_dlt_parent_id``;
- **redacts every other mention**: in any text cell of any row left, each whole-word
  occurrence of an identifier or name (case-insensitive) becomes ``[forgotten]`` (a note or a
  ticket that names them stays, without their name; JSON cells stay JSON).

``plan`` counts what ``apply`` would change (the dry run); ``apply`` runs on the caller's
client, inside the caller's transaction, so one destination changes all at once or not at
all. Values always travel as parameters, never in the SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from warehouse.forgotten import REDACTED

_TEXT_TYPES = ("char", "text", "string", "json", "clob")
#: replacing leaves the boundary characters each side; adjacent mentions need a second pass
_MAX_PASSES = 4
_BOUNDARY_L, _BOUNDARY_R = "(^|[^A-Za-z0-9_])", "($|[^A-Za-z0-9_])"


@dataclass(frozen=True)
class Traces:
    """What to remove: ``identifiers`` match whole cells (and mentions), ``names`` mentions."""

    identifiers: tuple[str, ...]
    names: tuple[str, ...] = ()

    def pattern(self) -> str:
        alts = [_escape(v) for v in self.identifiers if v]
        alts += [r"\s+".join(_escape(w) for w in n.split()) for n in self.names if n.split()]
        alts.sort(key=len, reverse=True)  # the longest first: an e-mail before its user part
        if not alts:  # an empty alternative would match every cell
            raise ValueError("nothing to scrub: no identifier and no name")
        return f"{_BOUNDARY_L}({'|'.join(alts)}){_BOUNDARY_R}"


@dataclass
class TableChange:
    schema: str
    table: str
    deleted: int = 0
    redacted: int = 0
    columns: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def _escape(value: str) -> str:
    """A regex literal both RE2 (DuckDB) and PostgreSQL's ARE read the same way."""
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/-" else c for c in value)


@dataclass(frozen=True)
class _Column:
    name: str
    data_type: str

    @property
    def is_json(self) -> bool:
        return "json" in self.data_type.lower()


def tables(client: Any, schema: str) -> dict[str, list[_Column]]:
    """Base tables of ``schema`` and their text-like columns (views cannot be changed)."""
    found = client.execute_sql(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name "
        "WHERE lower(c.table_schema) = lower(%s) AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position",
        schema,
    )
    out: dict[str, list[_Column]] = {}
    for table, column, dtype in found or []:
        cols = out.setdefault(str(table), [])
        if any(t in str(dtype).lower() for t in _TEXT_TYPES):
            cols.append(_Column(str(column), str(dtype)))
    return out


class _Dialect:
    def __init__(self, client: Any, destination: str) -> None:
        self.client, self.destination = client, destination

    def q(self, name: str) -> str:
        return str(self.client.escape_column_name(name))

    def text(self, col: _Column) -> str:
        return (
            f"CAST({self.q(col.name)} AS {'VARCHAR' if self.destination != 'postgres' else 'TEXT'})"
        )

    def matches(self, col: _Column) -> str:
        if self.destination == "postgres":
            return f"{self.text(col)} ~* %s"
        if self.destination == "snowflake":
            return f"REGEXP_INSTR({self.text(col)}, %s, 1, 1, 0, 'i') > 0"
        return f"regexp_matches({self.text(col)}, %s, 'i')"

    def replaced(self, col: _Column) -> str:
        if self.destination == "snowflake":
            expr = f"REGEXP_REPLACE({self.text(col)}, %s, %s, 1, 0, 'i')"
        else:
            expr = f"regexp_replace({self.text(col)}, %s, %s, 'gi')"
        return f"CAST({expr} AS {col.data_type})" if col.is_json else expr

    def equals_any(self, cols: list[_Column], n: int) -> str:
        marks = ", ".join(["%s"] * n)
        return " OR ".join(f"lower({self.text(c)}) IN ({marks})" for c in cols)


@contextmanager
def _in_schema(client: Any, schema: str) -> Iterator[None]:
    if str(client.dataset_name).lower() == schema.lower():
        yield
        return
    with client.with_alternative_dataset_name(schema):
        yield


def _scalar(client: Any, sql: str, *params: Any) -> int:
    rows = client.execute_sql(sql, *params)
    return int(rows[0][0]) if rows else 0


def changes(
    client: Any,
    destination: str,
    schemas: list[str],
    traces: Traces,
    *,
    owned: Callable[[str], bool],
    skip: Callable[[str], bool],
    apply: bool,
) -> list[TableChange]:
    """Count (``apply=False``) or make (``apply=True``) the changes, table by table."""
    d = _Dialect(client, destination)
    ids = [v.lower() for v in traces.identifiers if v]
    pattern = traces.pattern()
    out: list[TableChange] = []
    for schema in schemas:
        with _in_schema(client, schema):
            found = tables(client, schema)
            # children before parents: their rows are found through the parent's _dlt_id
            for table in sorted(found, key=lambda t: (-t.count("__"), t)):
                if skip(table) or not found[table]:
                    continue
                cols = found[table]
                change = TableChange(schema, table)
                if owned(table) and ids:
                    change.deleted = _own_rows(client, d, found, table, cols, ids, apply)
                change.redacted, change.columns = _mentions(client, d, table, cols, pattern,
                                                            apply)  # fmt: skip
                if change.deleted or change.redacted:
                    out.append(change)
    return out


def _own_rows(
    client: Any,
    d: _Dialect,
    found: dict[str, list[_Column]],
    table: str,
    cols: list[_Column],
    ids: list[str],
    apply: bool,
) -> int:
    target = client.make_qualified_table_name(table)
    where, params = d.equals_any(cols, len(ids)), ids * len(cols)
    count = _scalar(client, f"SELECT count(*) FROM {target} WHERE {where}", *params)
    if not count or not apply:
        return count
    if any(c.name == "_dlt_id" for c in cols):  # dlt child tables hang off _dlt_id
        for child in (t for t in found if t.startswith(f"{table}__")):
            if any(c.name == "_dlt_parent_id" for c in found[child]):
                client.execute_sql(
                    f"DELETE FROM {client.make_qualified_table_name(child)} WHERE "
                    f"{d.q('_dlt_parent_id')} IN (SELECT {d.q('_dlt_id')} FROM {target} "
                    f"WHERE {where})",
                    *params,
                )
    client.execute_sql(f"DELETE FROM {target} WHERE {where}", *params)
    return count


def _mentions(
    client: Any, d: _Dialect, table: str, cols: list[_Column], pattern: str, apply: bool
) -> tuple[int, list[str]]:
    """Rows (and columns) holding a mention; with ``apply``, redacted."""
    target = client.make_qualified_table_name(table)
    where = " OR ".join(d.matches(c) for c in cols)
    rows = _scalar(client, f"SELECT count(*) FROM {target} WHERE {where}", *[pattern] * len(cols))
    if not rows:
        return 0, []
    hit = [c for c in cols if _scalar(
        client, f"SELECT count(*) FROM {target} WHERE {d.matches(c)}", pattern)]  # fmt: skip
    if apply:
        replacement = rf"\1{REDACTED}\3"  # groups: boundary, value, boundary
        for col in hit:
            for _ in range(_MAX_PASSES):
                client.execute_sql(
                    f"UPDATE {target} SET {d.q(col.name)} = {d.replaced(col)} "
                    f"WHERE {d.matches(col)}",
                    pattern,
                    replacement,
                    pattern,
                )
                left = f"SELECT count(*) FROM {target} WHERE {d.matches(col)}"
                if not _scalar(client, left, pattern):
                    break
    return rows, [c.name for c in hit]


def summary(found: list[TableChange]) -> list[str]:
    """One line per table: what changed (no values)."""
    return [
        f"{c.name}: {c.deleted} rows deleted, {c.redacted} rows redacted"
        + (f" ({', '.join(c.columns)})" if c.columns else "")
        for c in found
    ]
