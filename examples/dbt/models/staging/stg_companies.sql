-- Companies as Custify holds them now.
select
    id as company_id,
    name,
    plan,
    monthly_revenue,
    updated_at
from {{ source('custify', 'companies') }}
where _custify_deleted_at is null
