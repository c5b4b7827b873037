"""A sync's plan: the diff to send, the rows refused before sending, and what a reader of the
plan (``--dry-run``, the push report) is shown of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from reverse_etl.config import SyncConfig
from reverse_etl.engine.stages import Stages
from reverse_etl.ledger.schemas import PLAN_SCHEMA
from reverse_etl.validate import attributes

SAMPLE_ROWS = 5


@dataclass
class SyncPlan:
    cfg: SyncConfig
    diff: pl.DataFrame  # DIFF_SCHEMA + attempt
    rejected: pl.DataFrame  # key, reason, row
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: this sync's confirmed snapshot (``ledger.load_state``)
    state: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: records a lookup found that this sync leaves alone (``diff.changes.seen_existing``)
    seen: pl.DataFrame | None = None
    #: per record and field: what Custify holds, what is sent, why (``ledger.schemas.PLAN_SCHEMA``)
    changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PLAN_SCHEMA))
    #: custom attribute types known before sending (``validate.attributes``)
    kinds: attributes.Kinds = field(default_factory=dict)
    #: CPU and wall seconds per planning (and, once run, sending) stage
    stages: Stages = field(default_factory=Stages)

    def op_counts(self) -> dict[str, int]:
        ops = self.diff.get_column("op").value_counts()
        return {str(op): int(n) for op, n in ops.iter_rows()}

    def summary(self) -> dict:
        sample = self.diff.head(SAMPLE_ROWS).select("key", "op", "payload").to_dicts()
        return {"ops": self.op_counts(), "counts": self.counts, "sample": sample,
                "rejected": self.rejected.height, "warnings": self.warnings}  # fmt: skip

    def why_counts(self) -> dict[str, int]:
        """Field changes per reason (new, changed, set back, unset, delete, ...)."""
        sent = self.changes.join(self.diff.select("key"), on="key", how="semi")
        return {str(w): int(n) for w, n in sent.get_column("why").value_counts().iter_rows()}

    def examples(self, n: int = 3) -> list[dict]:
        """A few planned field changes, for a reader."""
        sent = self.changes.join(self.diff.select("key"), on="key", how="semi")
        return sent.head(n).to_dicts()
