"""The one line a failed object gets in the run summary: the object, Custify's answer, the fix.

An error on one object's list fails that object only (``custify.errors.list_failure`` says
which errors do): its cursor and state stay where they were, the other objects load, and the
run ends with exit code 1. The line names what to do, which depends on what Custify said:
a key or plan that cannot read the object (403, §1.2) will not heal by itself, so the line
points at ``[extract] exclude``; Custify failing past the retries (§1.9) calls for a rerun.
"""

from __future__ import annotations

from custify.errors import CustifyError, ListFailure, list_failure

EXCLUDE_HINT = 'add "{name}" to [extract] exclude in pipelines.toml to stop trying'

_ADVICE = {
    ListFailure.FORBIDDEN: "the key or plan cannot read {name}; " + EXCLUDE_HINT,
    ListFailure.MISSING: "Custify does not serve this list for the account; " + EXCLUDE_HINT,
    ListFailure.REFUSED: "Custify refused the list as asked; rerun, and if it persists, "
    + EXCLUDE_HINT,
    ListFailure.PAGING: "Custify's paging misbehaved, nothing of {name} advanced; rerun, and "
    "if it persists, " + EXCLUDE_HINT,
    ListFailure.UNAVAILABLE: "Custify kept failing past the retries; {name} did not advance, "
    "rerun later",
}


def failure_line(name: str, exc: BaseException) -> str | None:
    """``403 on GET /file: the key or plan cannot read files; add ...``, or None when the
    error is not one object's alone (the run stops with it instead)."""
    kind = list_failure(exc)
    if kind is None:
        return None
    advice = _ADVICE[kind].format(name=name)
    if not isinstance(exc, CustifyError):
        return f"{name}: {exc}; {advice}"
    what = " ".join(p for p in (exc.method, exc.path) if p)
    if exc.status is not None:
        return f"{exc.status} on {what}: {advice} ({exc.detail})"
    return f"{name}: {exc.detail} ({what}); {advice}"
