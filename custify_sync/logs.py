"""Log output for runs under a terminal, cron or an orchestrator: ``-v`` and ``--log-format``.

The engines log what they do to the ``custify``, ``pipelines``, ``reverse_etl`` and
``warehouse`` loggers; a finished object or sync is one INFO record whose ``extra`` carries
its numbers (``run_id``, ``connection``, ``object``/``sync``, rows, requests, 429s...). Text
format prints the message; JSON format prints one object per line with every extra field, for
log collectors. Neither ever sees the API key: no engine logs it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

ENGINE_LOGGERS = ("custify", "pipelines", "reverse_etl", "warehouse", "custify_sync")
#: attributes every LogRecord has; anything else was passed as ``extra``
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(out, default=str)


def setup(verbosity: int, fmt: str) -> None:
    """``-v`` = INFO, ``-vv`` = DEBUG (request lines) for the engine's loggers, on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    if fmt == "json":
        level = min(level, logging.INFO)  # an orchestrator wants the per-step records
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
        logger.propagate = False
    # httpx's own INFO line carries full URLs with their queries (e-mails): never above WARNING
    logging.getLogger("httpx").setLevel(logging.WARNING)
