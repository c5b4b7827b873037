"""An offline Custify API, faithful to the real one (see docs/architecture.md, "sandbox").

``Sandbox`` answers requests in-process (``sb.transport()``) and ``serve`` puts it on a real
loopback socket. ``Faults`` holds the knobs that make it misbehave like the real service.
"""

from sandbox.app import DEFAULT_API_KEY, Sandbox
from sandbox.faults import Faults
from sandbox.journal import Journal, JournalEntry
from sandbox.server import SandboxServer, serve

__all__ = [
    "DEFAULT_API_KEY", "Faults", "Journal", "JournalEntry", "Sandbox", "SandboxServer", "serve",
]  # fmt: skip
