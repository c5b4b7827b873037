"""``[watch]`` in pipelines.toml: how ``run --watch`` spends the account's rate budget.

```toml
[watch]
budget_share = 0.3      # share of the account's rate limit the idle polling may use
min_interval_s = 1      # never poll one object more often than this
max_interval_s = 300    # nor less often than this (objects [extract.intervals] holds longer
                        # keep their own interval: customer objectives stay slow)
push_interval_s = 60    # push at least this often even without events (table-driven syncs)
webhook_url = ""        # deliver trigger events as JSON batches (README "Watch")
webhook_header = "Authorization"  # the header carrying the secret (CUSTIFY_WEBHOOK_SECRET)
webhook_batch = 100     # events per POST
```

Every key is checked: an unknown key or a value out of range is exit 2 naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from custify.config_sources import unknown_key
from custify.errors import ConfigError

_RANGES: dict[str, tuple[float, float]] = {
    "budget_share": (0.01, 1.0),
    "min_interval_s": (0.1, 86_400.0),
    "max_interval_s": (0.1, 86_400.0),
    "push_interval_s": (0.0, 86_400.0),
    "webhook_batch": (1, 10_000),
}


@dataclass(frozen=True)
class WatchOptions:
    budget_share: float = 0.3
    min_interval_s: float = 1.0
    max_interval_s: float = 300.0
    push_interval_s: float = 60.0
    webhook_url: str = ""
    webhook_header: str = "Authorization"
    webhook_batch: int = 100

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> WatchOptions:
        section = dict((raw or {}).get("watch", {}) or {})
        known = [f.name for f in fields(cls)]
        for key in sorted(section):
            if key not in known:
                raise unknown_key("[watch]", key, known, "option")
        for key, (lo, hi) in _RANGES.items():
            if key not in section:
                continue
            value = section[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not lo <= value <= hi
            ):
                raise ConfigError(f"[watch] {key}: expected a number from {lo:g} to {hi:g}")
        for key in ("webhook_url", "webhook_header"):
            if key in section and not isinstance(section[key], str):
                raise ConfigError(f"[watch] {key}: expected a string")
        url = section.get("webhook_url", "")
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError("[watch] webhook_url: expected an http(s) URL")
        opts = cls(**section)
        if opts.min_interval_s > opts.max_interval_s:
            raise ConfigError("[watch] min_interval_s is larger than max_interval_s")
        return opts
