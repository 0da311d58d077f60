{{ config(
    materialized='incremental',
    incremental_strategy=hackle_incremental_strategy(),
    partition_by=hackle_partition_by('dt'),
    hackle_window_column='dt',
    on_schema_change='fail'
) }}

with

rejected as (
    select * from {{ ref('int_events__validated') }}
    where row_status = 'rejected'
    {%- if is_incremental() %}
        and {{ hackle_window_filter('dt', this) }}
    {%- endif %}
),

-- what a person needs to find and fix the source row
final as (
    select
        dt,
        rejection_reason as reason,
        source_kind,
        source_event_id,
        insert_id,
        event_time,
        received_at,
        event_name,
        id,
        device_id,
        osname_raw,
        version_raw,
        metric_text
    from rejected
)

select * from final
