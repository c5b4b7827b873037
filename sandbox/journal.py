"""The call journal: every request the sandbox saw, for tests that assert on traffic.

Admin requests (``/_sandbox/``) are not journaled. The ``Authorization`` header is never
stored; bodies are the parsed JSON (or, for multipart uploads, the field names with text
values and file sizes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    t: float
    method: str
    path: str
    query: dict[str, str]
    #: the status sent; 0 when the connection was dropped without an answer
    status: int
    body: Any = None
    #: the fault that shaped the answer, if any: "5xx", "drop", "malformed", "storm",
    #: "apply_then_drop", "forbidden", "rejected"
    fault: str | None = None
    #: True when the request consumed the rate window (everything but 401 and 429)
    counted: bool = True

    def to_json(self) -> dict:
        return asdict(self)


class Journal(list):
    """A plain list of ``JournalEntry`` (appends are atomic under the GIL) plus helpers."""

    def entries(self) -> list[JournalEntry]:
        return list(self)

    def filter(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        return [
            e
            for e in list(self)
            if (method is None or e.method == method.upper())
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (status is None or e.status == status)
        ]

    def count(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
    ) -> int:
        return len(self.filter(method, path_prefix, status))

    def max_in_window(self, window_s: float = 10.0) -> int:
        """Most requests that consumed the rate window within any ``window_s``-long span.

        A sliding window over the journal (half-open: ``t_j - t_i < window_s``); 401 and 429
        answers are left out, as the sandbox's own window leaves them out.
        """
        times = sorted(e.t for e in list(self) if e.counted)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window_s:
                lo += 1
            best = max(best, hi - lo + 1)
        return best
