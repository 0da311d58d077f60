{#- Every source row once, with its day, the reason it cannot be exported (null
    when it can), and its place among rows that share its insert_id. Kept between
    runs: an incremental run re-reads the rows received since the re-read start
    (macros/incremental/reread_window.sql), ranks them with the kept rows that
    share their insert_ids, whatever their day, and replaces whole every day those
    rows fall on. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=hackle_reread_strategy(),
    partition_by=hackle_partition_by('dt'),
    on_schema_change='fail'
) }}
{{ hackle_reads_reread_window() }}

{%- set accepted = var('accepted_os_names') -%}
{#- the kept table's columns up to rejection_reason, as the reasoned step has them -#}
{%- set reasoned_columns = [] -%}
{%- if is_incremental() and execute -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- if column.name | lower not in ['duplicate_rank', 'dt', 'row_status'] -%}
            {%- do reasoned_columns.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

events as (
    select * from {{ ref('int_events__mapped') }}
    {%- if is_incremental() %}
    where {{ hackle_is_reread('received_at') }}
    {%- endif %}
),

-- an event timed too far after its receipt keeps its time, to be held back, or
-- takes its receipt time, as future_timestamp_action says
timed as (
    select
        *,
        coalesce(
            event_time > {{ dbt.dateadd(
                'hour', var('max_hours_ahead_of_receipt'), 'received_at'
            ) }},
            false
        ) as is_ahead_of_receipt
    from events
),

-- the contract's values: millisecond UTC time, spelled-out OS, exact decimal
canonical as (
    select
        *,
        {%- if var('future_timestamp_action') == 'use_received_at' %}
        {{ dbt.date_trunc(
            'millisecond',
            'case when is_ahead_of_receipt then received_at else event_time end'
        ) }} as ts,
        {%- else %}
        {{ dbt.date_trunc('millisecond', 'event_time') }} as ts,
        {%- endif %}
        {{ hackle_unless_blank('event_name') }} as event_key,
        {{ hackle_canonical_osname('osname_raw') }} as osname,
        {{ hackle_metric_is_valid('metric_text') }} as metric_is_valid
    from timed
),

-- one reason per row, the first that applies in this order; no event can be
-- later than the run that reads it, whatever its receipt time says
reasoned as (
    select
        *,
        case
            when event_time is null then 'missing_timestamp'
            when ts < cast('{{ var("min_event_time") }}' as {{ dbt.type_timestamp() }})
                then 'timestamp_out_of_range'
            {%- if var('future_timestamp_action') != 'use_received_at' %}
            when is_ahead_of_receipt then 'timestamp_in_future'
            {%- endif %}
            when ts > {{ dbt.dateadd(
                'hour', var('max_hours_ahead_of_receipt'), hackle_run_started_at()
            ) }} then 'timestamp_in_future'
            when event_key is null then 'missing_event_key'
            when {{ hackle_is_blank('id') }} then 'missing_id'
            when {{ hackle_is_blank('device_id') }} then 'missing_device_id'
            when osname is null then 'missing_osname'
            when lower(osname) not in (
                '{{ accepted | map("lower") | join("', '") }}'  -- noqa: LT05
            )
                then 'unknown_osname'
            when {{ hackle_is_blank('version_raw') }} then 'missing_version'
            when not metric_is_valid then 'invalid_metric'
            when not properties_are_valid then 'invalid_properties'
            {%- if not var('export_unmapped_events') %}
            when not is_mapped then 'unmapped_event'
            {%- endif %}
        end as rejection_reason
    from canonical
),

{%- if is_incremental() %}

-- kept rows that share an insert_id with a re-read row, on any day: ranked again
-- with it, as a copy that arrives later can still win over a held-back one
candidates as (
    select * from reasoned
    union all
    select {{ reasoned_columns | join(', ') }}
    from {{ this }}
    where not {{ hackle_is_reread('received_at') }}
        and insert_id in (select reasoned.insert_id from reasoned)
),
{%- endif %}

-- rows that share an insert_id are one event: the first received copy that can
-- be exported wins (the first received, when none can)
ranked as (
    select
        *,
        row_number() over (
            partition by insert_id
            order by
                case when rejection_reason is null then 0 else 1 end,
                received_at,
                event_time,
                event_row_id
        ) as duplicate_rank
    from {% if is_incremental() %}candidates{% else %}reasoned{% endif %}
),

-- the day each row is counted in: its event day, or the day it was received when
-- its own time is unusable (the run's day, if that receipt time is later still)
dated as (
    select
        *,
        case
            when rejection_reason in (
                'missing_timestamp', 'timestamp_out_of_range', 'timestamp_in_future'
            )
                then {{ hackle_partition_date(
                    'case when received_at > ' ~ hackle_run_started_at()
                    ~ ' then ' ~ hackle_run_started_at() ~ ' else received_at end'
                ) }}
            else {{ hackle_partition_date('ts') }}
        end as dt,
        case
            when duplicate_rank > 1 then 'duplicate'
            when rejection_reason is not null then 'rejected'
            else 'exported'
        end as row_status
    from ranked
),
{%- if is_incremental() %}

-- the other kept rows of the days the new rows fall on, unchanged, so that each
-- of those days is replaced whole
unchanged as (
    select * from {{ this }} as kept
    where not {{ hackle_is_reread('kept.received_at') }}
        and kept.dt in (select dated.dt from dated)
        and not exists (
            select 1 from reasoned
            where reasoned.insert_id = kept.insert_id
        )
),

final as (
    select * from dated
    union all
    select * from unchanged
)
{%- else %}

final as (
    select * from dated
)
{%- endif %}

select * from final
