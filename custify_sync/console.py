"""The CLI's one console: progress and summaries on stderr, so stdout stays data only."""

from __future__ import annotations

import sys

from rich.console import Console

#: progress and summaries go to stderr so stdout stays clean for `extract --events`; when it
#: is not a terminal (CI, cron, a log file) a fixed width keeps the tables readable.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
