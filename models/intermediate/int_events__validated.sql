{#- Every source row once, with its day, its place among rows that share its
    insert_id, and the reason it cannot be exported (null when it can). -#}

{%- set accepted = var('accepted_os_names') -%}

with

events as (
    select * from {{ ref('int_events__unioned') }}
),

-- rows that share an insert_id are one event: the first received copy wins
ranked as (
    select
        *,
        row_number() over (
            partition by insert_id
            order by received_at, event_time, event_row_id
        ) as duplicate_rank
    from events
),

-- the contract's values: millisecond UTC time, spelled-out OS, exact decimal
canonical as (
    select
        *,
        {{ dbt.date_trunc('millisecond', 'event_time') }} as ts,
        {{ hackle_unless_blank('event_name') }} as event_key,
        {{ hackle_canonical_osname('osname_raw') }} as osname,
        {{ hackle_metric_is_valid('metric_text') }} as metric_is_valid
    from ranked
),

-- one reason per row, the first that applies in this order
reasoned as (
    select
        *,
        case
            when event_time is null then 'missing_timestamp'
            when event_time < cast('{{ var("min_event_time") }}' as {{ dbt.type_timestamp() }})
                then 'timestamp_out_of_range'
            when event_time > {{ dbt.dateadd(
                'hour', var('max_hours_ahead_of_receipt'),
                'coalesce(received_at, ' ~ hackle_run_started_at() ~ ')'
            ) }} then 'timestamp_in_future'
            when event_key is null then 'missing_event_key'
            when {{ hackle_is_blank('id') }} then 'missing_id'
            when {{ hackle_is_blank('device_id') }} then 'missing_device_id'
            when osname is null then 'missing_osname'
            when osname not in ('{{ accepted | join("', '") }}') then 'unknown_osname'
            when {{ hackle_is_blank('version_raw') }} then 'missing_version'
            when not metric_is_valid then 'invalid_metric'
            when not properties_are_valid then 'invalid_properties'
        end as rejection_reason
    from canonical
),

-- the day each row is counted in: its event day, or the day it was received when
-- its own time is unusable
dated as (
    select
        *,
        case
            when rejection_reason in ('missing_timestamp', 'timestamp_out_of_range', 'timestamp_in_future')
                then {{ hackle_partition_date('received_at') }}
            else {{ hackle_partition_date('ts') }}
        end as dt,
        case
            when duplicate_rank > 1 then 'duplicate'
            when rejection_reason is not null then 'rejected'
            else 'exported'
        end as row_status
    from reasoned
)

select * from dated
