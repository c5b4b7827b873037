"""Cooperative stop: the flag a signal handler sets and long-running loops check.

A push must not die between sending a wave and writing its outcomes, and an extract must not
load half of a scan with advanced cursors. Ctrl-C and SIGTERM therefore only *ask* to stop:
the loops check the flag at their safe points (between push waves, before a list request) and
raise ``Interrupted``, so the ledger is consistent and the run lock is released on the way out.
"""

from __future__ import annotations

import threading


class Interrupted(Exception):
    """The run stopped at a safe point because a stop was asked for (Ctrl-C, SIGTERM)."""

    def __init__(self, reason: str = "stop requested") -> None:
        self.reason = reason
        super().__init__(reason)


class StopFlag:
    """A thread-safe "please stop" flag with the reason (e.g. the signal's name)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        self.reason = self.reason or reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Interrupted`` when a stop was asked for."""
        if self._event.is_set():
            raise Interrupted(self.reason)
