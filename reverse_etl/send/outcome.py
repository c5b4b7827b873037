"""What became of each row a unit sent (``Outcome``), and the bisection that finds, in a
group Custify refused, the rows it refuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from custify.errors import NotFound, RecordRejected, RetriableError
from reverse_etl.validate import uploads


@dataclass
class Outcome:
    attempt_id: str
    status: str  # confirmed | rejected | failed | sent
    http_status: int | None = None
    error: str | None = None
    custify_id: str | None = None
    #: the record a get read (JSON), for ``<sync>__records``
    record: str | None = None


def split_on_reject(
    rows: list[dict[str, Any]], handler: Callable[[list[dict[str, Any]]], list[Outcome]]
) -> list[Outcome]:
    """Run ``handler``; on a 400/404 for a group, bisect to find the rows Custify refuses."""
    try:
        return handler(rows)
    except uploads.UploadRefused as exc:
        return [Outcome(r["attempt_id"], "rejected", None, str(exc)) for r in rows]
    except (RecordRejected, NotFound) as exc:
        if len(rows) == 1:
            return [Outcome(rows[0]["attempt_id"], "rejected", exc.status, str(exc))]
        mid = len(rows) // 2
        return split_on_reject(rows[:mid], handler) + split_on_reject(rows[mid:], handler)
    except RetriableError as exc:
        note = " (may have been applied)" if exc.maybe_applied else ""
        return [Outcome(r["attempt_id"], "failed", exc.status, f"{exc}{note}") for r in rows]
