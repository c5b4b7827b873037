"""Continuous operation: ``run`` cycles (extract, then push in ``after`` order) and the
``--watch`` loop with its budget-aware poll scheduler. See docs/architecture.md ("Watch")."""

from pipelines.watch.cycle import CycleInputs, CycleReport, run_cycle

__all__ = ["CycleInputs", "CycleReport", "run_cycle"]
