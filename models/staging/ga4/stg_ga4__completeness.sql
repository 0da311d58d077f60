{{ config(enabled=hackle_source_enabled('ga4')) }}

{%- set newest_daily_day = ga4_newest_daily_day() %}

with

events as (
    select * from {{ ref('stg_ga4__events') }}
),

-- Google writes a date's daily table once the date is over in the property zone
daily_tables as (
    select
        {%- if newest_daily_day %}
        {{ ga4_day_end_utc(newest_daily_day) }} as complete_until
        {%- else %}
        cast(null as {{ dbt.type_timestamp() }}) as complete_until
        {%- endif %}
),

-- intraday tables, read only with ga4_use_intraday, hold every event up to the
-- newest one they have received
intraday_tables as (
    select max(received_at) as complete_until
    from events
    where shard_is_intraday
),

final as (
    select
        'ga4' as source_kind,
        case
            when intraday_tables.complete_until > daily_tables.complete_until
                or daily_tables.complete_until is null
                then intraday_tables.complete_until
            else daily_tables.complete_until
        end as complete_until
    from daily_tables
    cross join intraday_tables
)

select * from final
