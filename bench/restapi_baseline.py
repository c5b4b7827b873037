"""The baseline: dlt's generic ``rest_api`` source, configured for Custify as a competent user
would write it from the API documentation (hand-written on purpose: it does not read our
registry).

- one resource per extracted object, at each endpoint's maximum page size (``itemsPerPage``
  200 for people, companies, tickets, lifecycles and playbooks, 50 elsewhere);
- the page-number paginator (``page`` from 1) with ``total_path``; note that dlt reads
  ``total_path`` as the number of PAGES while Custify's ``total`` counts items, so the
  paginator's stop is the empty page that follows the last one (``stop_after_empty_page``,
  dlt's default): one extra request per list with more than one item;
- a data selector per envelope: ``[0].people`` (people come wrapped in a one-element array),
  ``time_track`` for time tracks, the bare array (``$``) for surveys, which have no total;
- segments and playbooks listed for both types (Custify defaults to one type) into one table;
- customer objectives per company through the companies resource as parent
  (``{resources.companies.id}``), the only way Custify lists them;
- ``merge`` on ``id`` for every table, into the same DuckDB destination and dataset as ours;
- ``parallelized`` resources (dlt runs the resources' generators in a thread pool), which is
  what a user reaches for when the API has latency.
"""

from __future__ import annotations

from typing import Any

#: object -> (path, data selector, itemsPerPage max, extra params)
ENDPOINTS: dict[str, tuple[str, str, int, dict[str, Any]]] = {
    "people": ("people/all", "[0].people", 200, {}),
    "companies": ("company/all", "companies", 200, {}),
    "notes": ("note", "notes", 50, {}),
    "tickets": ("ticket", "tickets", 200, {}),
    "tasks": ("task", "tasks", 50, {}),
    "files": ("file", "files", 50, {}),
    "time_tracks": ("time-track", "time_track", 50, {}),
    "meetings": ("calendar/meeting", "meetings", 50, {}),
    "health_scores": ("health_score", "health_scores", 50, {}),
    "lifecycles": ("lifecycle", "lifecycles", 200, {}),
}
VARIANTS: dict[str, tuple[str, str, int, dict[str, Any], tuple[str, ...]]] = {
    "segments": ("segment", "segments", 50, {}, ("people", "company")),
    "playbooks": ("playbook", "playbooks", 200, {"includeCounts": "false"}, ("companies", "people")),
}  # fmt: skip

#: The objects the baseline reads (objectives through the companies as parents): the set both
#: sides extract in the CPU comparison.
BASELINE_OBJECTS: tuple[str, ...] = (*ENDPOINTS, *VARIANTS, "surveys", "customer_objectives")

PAGE_NUMBER = {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": "total"}


def _resource(name: str, path: str, selector: str, size: int, params: dict[str, Any],
              table: str | None = None) -> dict[str, Any]:  # fmt: skip
    paginator = dict(PAGE_NUMBER)
    if selector.startswith("[0]."):  # people: [{"people": [...], "total": n}]
        paginator["total_path"] = "[0].total"
    resource: dict[str, Any] = {
        "name": name,
        "endpoint": {
            "path": path,
            "params": {"itemsPerPage": size, **params},
            "data_selector": selector,
            "paginator": paginator,
        },
    }
    if table:
        resource["table_name"] = table
    return resource


def custify_rest_api_config(base_url: str, api_key: str,
                            objects: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """The ``RESTAPIConfig`` for ``objects`` (all 14 extracted objects when None)."""
    wanted = set(objects or BASELINE_OBJECTS)
    resources: list[dict[str, Any]] = []
    for name, (path, selector, size, params) in ENDPOINTS.items():
        if name in wanted or (name == "companies" and "customer_objectives" in wanted):
            resources.append(_resource(name, path, selector, size, params))
    for name, (path, selector, size, params, types) in VARIANTS.items():
        if name in wanted:
            for kind in types:
                resources.append(
                    _resource(
                        f"{name}_{kind}", path, selector, size, {**params, "type": kind}, table=name
                    )  # fmt: skip
                )
    if "surveys" in wanted:  # a bare array without total: stop at the first empty page
        resources.append({
            "name": "surveys",
            "endpoint": {
                "path": "survey",
                "params": {"itemsPerPage": 50},
                "data_selector": "$",
                "paginator": {"type": "page_number", "base_page": 1, "page_param": "page",
                              "total_path": None, "stop_after_empty_page": True},
            },
        })  # fmt: skip
    if "customer_objectives" in wanted:  # no global list: one listing per company (parent)
        resources.append({
            "name": "customer_objectives",
            "endpoint": {
                "path": "objective",
                "params": {"company": "{resources.companies.id}", "itemsPerPage": 50},
                "data_selector": "objectives",
            },
        })  # fmt: skip
    return {
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": {"type": "bearer", "token": api_key},
            "paginator": PAGE_NUMBER,
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "parallelized": True,
        },
        "resources": resources,
    }


def custify_rest_api_source(base_url: str, api_key: str, objects: list[str] | None = None,
                            max_table_nesting: int | None = None) -> Any:  # fmt: skip
    from dlt.sources.rest_api import rest_api_source

    config = custify_rest_api_config(base_url, api_key, objects)
    return rest_api_source(config, name="custify_rest_api", max_table_nesting=max_table_nesting)  # type: ignore[arg-type]
