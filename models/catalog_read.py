"""Registry rows of the read-only objects the ELT extracts for their triggers (§11, §14, §15).

Read through ``models.registry``; the row types are in ``models.rows``.
"""

from __future__ import annotations

from types import MappingProxyType

from models.rows import CustifyObject, Finder, GetOne, Link, ListVariant, ParentList
from models.types import Envelope, FilterStyle, SortStyle, Trigger

#: Taggable configuration objects are found by id in one listing per run (§1.6, §14).
BY_ID = MappingProxyType({"id": Finder("scan", "id")})

READ_OBJECTS: tuple[CustifyObject, ...] = (
    CustifyObject(
        name="surveys",
        list_path="/survey",
        envelope=Envelope.BARE_ARRAY,
        page_size_max=50,
        sort_style=SortStyle.NONE,
        cursor_field="created_at",
        triggers=(Trigger.CREATED,),
        extracted=True,
        tag_category="survey",
        find_by=BY_ID,
        doc="§11; a bare array, no total",
    ),
    CustifyObject(
        name="meetings",
        list_path="/calendar/meeting",
        links=(Link("people", "people"), Link("company", "companies")),
        scoped_paths=("/calendar/meeting/{model}/{entity}",),
        envelope_key="meetings",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="meeting",
        find_by=BY_ID,
        child_lists=("participants",),
        doc="§14",
    ),
    CustifyObject(
        name="health_scores",
        list_path="/health_score",
        get_one=GetOne("/health_score/{id}"),
        envelope_key="health_scores",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="health_score",
        find_by=BY_ID,
        doc="§14; definitions, not values",
    ),
    CustifyObject(
        name="segments",
        list_path="/segment",
        get_one=GetOne("/segment/{id}"),
        envelope_key="segments",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="segment",
        find_by=BY_ID,
        variants=(
            ListVariant(MappingProxyType({"type": "people"}), "people"),
            ListVariant(MappingProxyType({"type": "company"}), "company"),
        ),
        doc="§14; default type is people, so both types are polled (quirk 17)",
    ),
    CustifyObject(
        name="lifecycles",
        list_path="/lifecycle",
        default_sort=("position", False),
        also_sort_order=True,
        filter_style=FilterStyle.ENTITY,
        get_one=GetOne("/lifecycle/{id}"),
        envelope_key="lifecycles",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="lifecycle",
        find_by=BY_ID,
        child_lists=("goals",),
        doc="§14",
    ),
    CustifyObject(
        name="playbooks",
        list_path="/playbook",
        default_sort=("position", False),
        also_sort_order=True,
        filter_style=FilterStyle.ENTITY,
        get_one=GetOne("/playbook/{id}"),
        envelope_key="playbooks",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="playbook",
        find_by=BY_ID,
        list_params=MappingProxyType({"includeCounts": "false"}),
        variants=(
            ListVariant(MappingProxyType({"type": "companies"}), "companies"),
            ListVariant(MappingProxyType({"type": "people"}), "people"),
        ),
        doc="§14; default type is companies, so both types are polled (quirk 17)",
    ),
    CustifyObject(
        name="customer_objectives",
        list_path="/objective",
        default_sort=("created_at", True),
        also_sort_order=True,
        echoes_paging=True,
        filter_style=FilterStyle.ENTITY,
        envelope_key="objectives",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        per_parent=("companies", "company"),
        doc="§14; no global list: one scan per company, 400 without company (quirk 18)",
    ),
    CustifyObject(
        name="survey_responses",
        list_path="/survey/{survey}/responses",
        links=(
            Link("people", "people", many=False),
            Link("company", "companies", many=False),
        ),
        default_sort=("responseDate", True),
        echoes_paging=True,
        envelope_key="responses",
        page_size_max=50,
        sort_style=SortStyle.NONE,
        # sorted by responseDate descending with no sort parameter (§11): the scan stops early
        # only while the pages it read really were in that order (pipelines/scan.py)
        cursor_field="responseDate",
        extracted=True,
        parent_lists=(ParentList("surveys", "survey"),),
        doc="§11; listed per survey, 404 for a missing survey; echoes page and itemsPerPage; "
        "no trigger (§17 lists surveys created only)",
    ),
    CustifyObject(
        name="calculated_metrics",
        list_path="/calculated_metric",
        get_one=GetOne("/calculated_metric/{id}"),
        envelope_key="calculated_metrics",
        page_size_max=50,
        extracted=True,
        tag_category="calculated_metric",
        variants=(
            ListVariant(MappingProxyType({"type": "company"}), "company"),
            ListVariant(MappingProxyType({"type": "people"}), "people"),
        ),
        doc="§14; default type is company, so both types are polled (quirk 17); no trigger (§17)",
    ),
    CustifyObject(
        name="batch_jobs",
        list_path=None,
        cursor_field=None,
        actions=(),
        doc="§15; POST /batch (202 + job id, at most 100 jobs), GET /batch/{id} for status",
    ),
)
