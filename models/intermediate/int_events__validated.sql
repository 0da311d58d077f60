{#- Every source row once, with its day, its place among rows that share its
    insert_id, and the reason it cannot be exported (null when it can). -#}

{%- set accepted = var('accepted_os_names') -%}

with

events as (
    select * from {{ ref('int_events__mapped') }}
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

-- an event timed too far after its receipt keeps its time, to be held back, or
-- takes its receipt time, as future_timestamp_action says
timed as (
    select
        *,
        event_time > {{ dbt.dateadd(
            'hour', var('max_hours_ahead_of_receipt'),
            'coalesce(received_at, ' ~ hackle_run_started_at() ~ ')'
        ) }} as is_ahead_of_receipt
    from ranked
),

-- the contract's values: millisecond UTC time, spelled-out OS, exact decimal
canonical as (
    select
        *,
        {%- if var('future_timestamp_action') == 'use_received_at' %}
        {{ dbt.date_trunc(
            'millisecond',
            'case when is_ahead_of_receipt and received_at is not null'
            ~ ' then received_at else event_time end'
        ) }} as ts,
        {%- else %}
        {{ dbt.date_trunc('millisecond', 'event_time') }} as ts,
        {%- endif %}
        {{ hackle_unless_blank('event_name') }} as event_key,
        {{ hackle_canonical_osname('osname_raw') }} as osname,
        {{ hackle_metric_is_valid('metric_text') }} as metric_is_valid
    from timed
),

-- one reason per row, the first that applies in this order
reasoned as (
    select
        *,
        case
            when event_time is null then 'missing_timestamp'
            when ts < cast('{{ var("min_event_time") }}' as {{ dbt.type_timestamp() }})
                then 'timestamp_out_of_range'
            when is_ahead_of_receipt
                {%- if var('future_timestamp_action') == 'use_received_at' %}
                and received_at is null
                {%- endif %}
                then 'timestamp_in_future'
            when event_key is null then 'missing_event_key'
            when {{ hackle_is_blank('id') }} then 'missing_id'
            when {{ hackle_is_blank('device_id') }} then 'missing_device_id'
            when osname is null then 'missing_osname'
            when osname not in ('{{ accepted | join("', '") }}') then 'unknown_osname'
            when {{ hackle_is_blank('version_raw') }} then 'missing_version'
            when not metric_is_valid then 'invalid_metric'
            when not properties_are_valid then 'invalid_properties'
            {%- if not var('export_unmapped_events') %}
            when not is_mapped then 'unmapped_event'
            {%- endif %}
        end as rejection_reason
    from canonical
),

-- the day each row is counted in: its event day, or the day it was received when
-- its own time is unusable
dated as (
    select
        *,
        case
            when rejection_reason in (
                'missing_timestamp', 'timestamp_out_of_range', 'timestamp_in_future'
            )
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
