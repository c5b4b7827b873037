"""Moved: ``SessionWarehouse`` lives in ``warehouse.session`` so the ELT can share it.

Kept as a re-export for callers written against the old path (bench/).
"""

from warehouse.session import SessionWarehouse

__all__ = ["SessionWarehouse"]
