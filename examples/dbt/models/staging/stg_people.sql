-- People as Custify holds them now: records a reconcile marked deleted are left out.
select
    id as person_id,
    user_id,
    email,
    name,
    session_count,
    custom_attributes__role as role,
    updated_at
from {{ source('custify', 'people') }}
where _custify_deleted_at is null
