"""``CustifyClient``: the one object the ELT and the reverse ETL talk to (docs/architecture.md).

It composes the seams of this package: ``HttpSession`` (budget, retry, classification),
``pagination`` (page/itemsPerPage/sort from the registry), ``envelopes`` (every §18 quirk) and
``actions`` (a registry row -> a request). Every one of the registry's actions is also a typed
method (``client.people_upsert({...})``, ``client.tickets_reply(external_id, {...})``),
generated from the registry into ``custify/action_methods.py``.

Where the notes leave a request's shape open (the time-track path's spelling and id
placement, §13), the client tries the documented form first and remembers what worked
(``custify.variants``); what it learned about ``POST /batch`` lives in ``batch_road``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from custify import actions as _actions
from custify import batch as _batch
from custify import batch_worker, pagination
from custify import variants as _variants
from custify.action_methods import ActionMethods
from custify.envelopes import parse_one
from custify.errors import FatalError
from custify.http import HttpSession, RequestStats, decode_json
from custify.pagination import Page
from custify.ratelimit import SlidingWindowBudget
from custify.settings import ConnectionSettings
from models.clock import Clock
from models.registry import BATCH_PATH, Action, CustifyObject, ListVariant
from models.types import ActionKind, Envelope


class CustifyClient(ActionMethods):
    """Thread-safe Custify API client for one connection (one account, one rate budget)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        budget: SlidingWindowBudget | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        postgres_dsn: str | None = None,
    ) -> None:
        self.settings = settings
        self._session = HttpSession(
            settings,
            transport=transport,
            budget=budget,
            clock=clock,
            rng=rng,
            postgres_dsn=postgres_dsn,
        )
        self.clock = self._session.clock
        self.budget = self._session.budget
        #: what this client learned about POST /batch on its account (custify.batch)
        self.batch_road = _batch.BatchRoad(mode=settings.batch)
        self._spellings = _variants.Spellings()
        self._placements = _variants.Placements()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def stats(self) -> RequestStats:
        return self._session.stats

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CustifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CustifyClient(connection={self.settings.name!r}, base_url={self.settings.base_url!r})"
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        replay_safe: bool | None = None,
        record: bool = False,
        tally: RequestStats | None = None,
    ) -> httpx.Response:
        """Budget -> send -> classify -> retry or raise (see ``custify.http``); a path whose
        spelling the notes leave open is tried in each spelling until one answers.

        ``tally`` also counts this call's attempts (requests, retries, 429s): the per-call
        hook for callers that report costs per object; ``stats`` counts every call."""

        def send(candidate: str) -> httpx.Response:
            return self._session.send(
                method,
                candidate,
                params=params,
                json=json,
                files=files,
                data=data,
                replay_safe=replay_safe,
                record=record,
                tally=tally,
            )

        return _variants.with_spellings(self._spellings, path, send)

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        tally: RequestStats | None = None,
    ) -> Any:
        """GET and decode; an empty body decodes to None."""
        response = self.request("GET", path, params=params, tally=tally)
        return decode_json(response)

    # -- reading lists ----------------------------------------------------------------------
    def list_page(
        self,
        obj: str | CustifyObject,
        page: int,
        *,
        page_size: int | None = None,
        sort_desc: bool = True,
        sort_by: str | None = None,
        params: Mapping[str, Any] | None = None,
        parent_id: str | Mapping[str, str] | None = None,
        variant: str | ListVariant | None = None,
        tally: RequestStats | None = None,
    ) -> Page:
        """One page of a list (for callers that fetch pages concurrently); §1.7.

        ``tally`` also counts the page's attempts (see ``request``)."""

        def fetch(path: str, query: dict[str, Any]) -> Any:
            return self.get_json(path, query, tally=tally)

        return pagination.fetch_page(
            fetch,
            pagination.resolve(obj),
            page,
            page_size=page_size,
            sort_desc=sort_desc,
            sort_by=sort_by,
            params=params,
            parent_id=parent_id,
            variant=variant,
        )

    def iter_pages(
        self,
        obj: str | CustifyObject,
        *,
        page_size: int | None = None,
        sort_desc: bool = True,
        sort_by: str | None = None,
        params: Mapping[str, Any] | None = None,
        parent_id: str | Mapping[str, str] | None = None,
        variant: str | ListVariant | None = None,
        start_page: int = 1,
    ) -> Iterator[Page]:
        """Every page until ``total`` or an empty page; all variants when none is given."""
        return pagination.iter_pages(
            self.get_json,
            pagination.resolve(obj),
            page_size=page_size,
            sort_desc=sort_desc,
            sort_by=sort_by,
            params=params,
            parent_id=parent_id,
            variant=variant,
            start_page=start_page,
        )

    def iter_rows(self, obj: str | CustifyObject, **options: Any) -> Iterator[dict[str, Any]]:
        for page in self.iter_pages(obj, **options):
            yield from page.rows

    # -- actions ------------------------------------------------------------------------------
    def call(
        self,
        action: str | Action,
        payload: Mapping[str, Any] | None = None,
        *,
        by: str | None = None,
        value: Any = None,
        parent: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Drive any registry action; gets return one dict or raise ``NotFound`` (§18.3).

        An action with alternate identifier placements (registry ``alternates``) is tried in
        each until Custify takes one; the one that worked is used from then on."""
        act = _actions.resolve_action(action)
        variants = self._placements.variants(act, by)

        def send(variant: Action) -> Any:
            prepared = _actions.prepare(
                variant, payload, by=by, value=value, parent=parent, query=query, files=files
            )
            return self._send_prepared(prepared)

        if len(variants) == 1:
            return send(variants[0])
        return _variants.with_placements(self._placements, act, variants, send)

    def _send_prepared(self, prepared: _actions.Prepared) -> Any:
        act = prepared.action
        is_get = act.kind is ActionKind.GET
        response = self.request(
            prepared.method,
            prepared.path,
            params=prepared.params or None,
            json=prepared.json,
            files=prepared.files,
            data=prepared.data,
            replay_safe=prepared.replay_safe,
            record=not is_get,
        )
        body = decode_json(response)
        if is_get:
            return parse_one(
                body, act.response, act.response_key, method=act.method, path=prepared.path
            )
        if act.response is Envelope.EMPTY and not body:
            return None
        return body

    def get_one(self, obj: str | CustifyObject, *, by: str, value: Any) -> dict[str, Any]:
        """One record by an identifier; ``NotFound`` on 404 or Custify's empty array (§18.3).

        Objects with a registry ``get`` action use it; others are read through their list
        endpoint (``GET /task/{id}``, ``GET /ticket?externalId=``), whose envelope the registry
        names (§18.4).
        """
        row = pagination.resolve(obj)
        if any(a.verb == "get" for a in row.actions):
            return self.call(row.action("get"), by=by, value=value)
        if row.list_path is None or "{" in row.list_path:
            raise ValueError(f"{row.name} has no lookup endpoint")
        if by == row.id_field:
            path, params = f"{row.list_path}/{_actions._segment(value)}", None
        else:
            path, params = row.list_path, {by: value}
        body = self.get_json(path, params)
        return parse_one(body, row.envelope, row.envelope_key, method="GET", path=path)

    # -- batch (§15) ------------------------------------------------------------------------
    def submit_batch(self, jobs: list[dict[str, Any]]) -> str:
        """``POST /batch`` (202 + job id); at most 100 jobs, else ValueError."""
        job_id = batch_worker.submit(self, jobs)
        if job_id is None:
            raise FatalError("POST /batch answered without a job id", method="POST",
                             path=BATCH_PATH)  # fmt: skip
        return job_id

    def batch_status(self, job_id: str) -> Any:
        """``GET /batch/{id}`` as Custify answered it (kept 6 h; read it with
        ``custify.batch.read_status``: the format is not documented, §15)."""
        return batch_worker.status(self, job_id)

    def run_batch(
        self, jobs: list[dict[str, Any]], *, timeout_s: float = 900.0
    ) -> list[_batch.JobOutcome]:
        """Submit, poll by expectation (through the clock), and return one outcome per job:
        "success", "failed", or "unknown" where the status gave no evidence."""
        return batch_worker.run(self, jobs, timeout_s=timeout_s)
