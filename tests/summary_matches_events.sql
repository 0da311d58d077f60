-- Every day's exported_rows in the summary is the number of hackle_events rows
-- whose ts falls in that day, and every such day is in the summary.
with

events_per_day as (
    select
        {{ hackle_partition_date('ts') }} as dt,
        count(*) as event_rows
    from {{ ref('hackle_events') }}
    group by {{ hackle_partition_date('ts') }}
),

summary as (
    select dt, exported_rows from {{ ref('hackle_daily_summary') }}
)

select
    coalesce(events_per_day.dt, summary.dt) as dt,
    events_per_day.event_rows,
    summary.exported_rows
from events_per_day
full outer join summary
    on events_per_day.dt = summary.dt
where coalesce(events_per_day.event_rows, 0) <> coalesce(summary.exported_rows, 0)
