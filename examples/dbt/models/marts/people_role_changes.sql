-- The diff model a sync pushes (pipelines.toml: [syncs.roles] table = "analytics.people_role_changes"):
-- every person whose role, derived from their activity, differs from the one Custify holds.
-- Column names are the sync's field paths: user_id matches, custom_attributes__role is sent.
with derived as (
    select
        user_id,
        role,
        case when session_count >= 200 then 'power user' else 'member' end as wanted_role
    from {{ ref('stg_people') }}
    where user_id is not null
)
select user_id, wanted_role as custom_attributes__role
from derived
where role is distinct from wanted_role
