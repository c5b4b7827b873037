"""What every generator shares: one run's seed, scale, clock, ids and per-table RNGs.

Kept apart from ``generator.py`` so that the per-family generators (``generator_config``,
``generator_activity``, ``generator_generic``) depend on it, and ``generator.py`` on them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping

from sandbox.store import Store
from sandbox.util import ObjectIds

TWO_YEARS_S = 2 * 365 * 86_400.0


class Gen:
    """Shared state of one generation run: seed, scale, now, ids and per-table RNGs."""

    def __init__(self, store: Store, seed: int, scale: float, now: float, ids: ObjectIds,
                 ties: int = 0, sizes: Mapping[str, int] | None = None) -> None:  # fmt: skip
        self.store, self.seed, self.scale, self.now = store, seed, scale, now
        self.ids, self.ties, self.sizes = ids, ties, dict(sizes or {})
        self.start = now - TWO_YEARS_S

    def rng(self, name: str) -> random.Random:
        return random.Random(f"custify-sandbox:{self.seed}:{name}")

    def count(self, name: str, base: float, minimum: int = 1, linear: bool = True) -> int:
        """Rows of ``name``: ``sizes[name]`` if given, else ``base`` scaled."""
        if name in self.sizes:
            return int(self.sizes[name])
        factor = self.scale if linear else math.sqrt(self.scale)
        return max(minimum, int(round(base * factor)))

    def stamper(self, rng: random.Random, n: int) -> Callable[[], tuple[float, float]]:
        """A ``() -> (created_t, updated_t)`` source over the last two years.

        With ``timestamp_ties`` the times snap to a grid of ``n // ties`` points, so about
        ``ties`` rows share each ``updated_at`` (ties on the cursor field, which an incremental cursor must not skip).
        """
        r, start, span = rng.random, self.start, TWO_YEARS_S
        grid = span / max(1, n // self.ties) if self.ties else 0.0

        def snap(t: float) -> float:
            return start + math.floor((t - start) / grid) * grid if grid else t

        def stamp() -> tuple[float, float]:
            created = start + span * r()
            updated = created + (start + span - created) * r()
            return snap(created), max(snap(created), snap(updated))

        return stamp

    def new_id(self, t: float) -> str:
        return self.ids.new(t)
