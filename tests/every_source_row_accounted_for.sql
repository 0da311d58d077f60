-- The summary counts every source row exactly once: its total equals the rows
-- the enabled sources hold, and its rejected rows equal hackle_events_rejected.
with

summary as (
    select
        sum(source_rows) as source_rows,
        sum(rejected_rows) as rejected_rows
    from {{ ref('hackle_daily_summary') }}
),

source_rows as (
    select count(*) as source_rows from {{ ref('int_events__unioned') }}
),

rejected_rows as (
    select count(*) as rejected_rows from {{ ref('hackle_events_rejected') }}
)

select *
from summary
cross join source_rows
cross join rejected_rows
where summary.source_rows <> source_rows.source_rows
    or summary.rejected_rows <> rejected_rows.rejected_rows
