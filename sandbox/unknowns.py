"""Routing knobs for the answers the notes leave open (``Faults`` "unknowns" fields).

The sandbox makes one choice wherever custify-api.md is silent; these knobs make the other
plausible ones, so the engine can be shown safe under each (models/facts.py lists what each
varies):

- ``batch_unavailable``: ``POST /batch`` refused with 404/405/403/400 (no batch API on the
  account or key, §15);
- ``time_track_spelling``: only ``/time-track`` or only ``/time_track`` exists (§13);
- ``time_track_id_in``: updates and deletes take the id only as ``?id=`` or only in the path
  (§13, §19).

A refused route answers like an unknown route (404 ``Cannot METHOD /path``), or with the
status the knob names. ``batch_status_shape`` and ``ticket_create_duplicates`` act inside
their routes (``routes/batch.py``, ``routes/writes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.registry import BATCH_PATH, REGISTRY
from sandbox.util import ApiError, Req

if TYPE_CHECKING:
    from sandbox.account import Account

_BATCH_REFUSALS = {
    400: "Batch processing is not available for this account",
    403: "Permission denied: the batch API is not enabled for this API key",
    404: f"Cannot POST {BATCH_PATH}",
    405: "Method Not Allowed",
}
#: the time-track path as documented and as its curl samples spell it (§13)
_DASH = REGISTRY["time_tracks"].list_path or ""
_UNDERSCORE = REGISTRY["time_tracks"].path_spellings[0]


def gate(sb: Account, req: Req) -> None:
    """Raise the answer a knob gives this request instead of routing it."""
    faults = sb.faults
    if faults.batch_unavailable and req.method == "POST" and req.path.rstrip("/") == BATCH_PATH:
        status = int(faults.batch_unavailable)
        message = _BATCH_REFUSALS.get(status, "Batch processing is not available")
        raise ApiError(status, message, fault="batch_unavailable")
    if req.path.startswith((_DASH, _UNDERSCORE)):
        _time_track(faults.time_track_spelling, faults.time_track_id_in, req)


def _time_track(spelling: str, id_in: str, req: Req) -> None:
    dash = req.path.startswith(_DASH)
    if (spelling == "dash" and not dash) or (spelling == "underscore" and dash):
        raise _cannot(req, "time_track_spelling")
    if req.method not in ("PUT", "DELETE"):
        return
    in_path = req.path.rstrip("/").count("/") >= 2
    if (id_in == "query" and in_path) or (id_in == "path" and not in_path):
        raise _cannot(req, "time_track_id_in")


def _cannot(req: Req, knob: str) -> ApiError:
    return ApiError(404, f"Cannot {req.method} {req.path}", fault=knob)
