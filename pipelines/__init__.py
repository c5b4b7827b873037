"""ELT: Custify -> warehouse through a dlt source generated from the registry.

- ``custify_source(client=..., objects=[...])``: the dlt source, usable from any pipeline.
- ``run_extract(settings, warehouse_cfg=..., ...) -> ExtractReport``: one run for the CLI.
- ``extract_status(warehouse_cfg) -> ExtractStatus``: last run, rows per table, cursors.

See docs/architecture.md ("ELT") for the design and docs/custify-api.md for the API facts.
"""

from pipelines.context import ObjectReport, RunContext
from pipelines.events import EVENTS_TABLE, TRIGGER_EVENTS
from pipelines.options import ExtractOptions, UnknownObjectError
from pipelines.run import ExtractReport, run_extract, write_events
from pipelines.source import custify_source
from pipelines.status import ExtractStatus, ObjectStatus, extract_status

__all__ = [
    "EVENTS_TABLE",
    "TRIGGER_EVENTS",
    "ExtractOptions",
    "ExtractReport",
    "ExtractStatus",
    "ObjectReport",
    "ObjectStatus",
    "RunContext",
    "UnknownObjectError",
    "custify_source",
    "extract_status",
    "run_extract",
    "write_events",
]
