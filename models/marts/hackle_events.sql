{{ config(
    materialized='incremental',
    incremental_strategy=hackle_incremental_strategy(),
    partition_by=hackle_partition_by('ts'),
    cluster_by=hackle_cluster_by(['event_key']),
    hackle_window_column='ts',
    on_schema_change='fail'
) }}

with

exported_events as (
    select * from {{ ref('int_events__validated') }}
    where row_status = 'exported'
    {%- if is_incremental() %}
        and {{ hackle_window_filter('ts', this) }}
    {%- endif %}
),

-- the winning entries of those events only
entries as (
    select * from {{ ref('int_properties__keyed') }}
    where key_rank = 1
    {%- if is_incremental() %}
        and event_row_id in (select event_row_id from exported_events)
    {%- endif %}
),

{% for scope in ['identifiers', 'user', 'event', 'platform'] -%}
-- the {{ scope }} map of each event, entries ordered by key
{{ scope }}_maps as (
    select
        event_row_id,
        {{ hackle_map_agg('property_key', 'property_value', 'property_key') }}
            as entries
    from entries
    where property_scope = '{{ scope }}'
    group by event_row_id
),

{% endfor -%}

-- the contract's columns, in the contract's order
final as (
    select
        exported_events.ts,
        -- the text type the contract declares, on warehouses where the functions
        -- that built these values return another text type
        cast(exported_events.event_key as {{ dbt.type_string() }}) as event_key,
        identifiers_maps.entries as identifiers,
        cast(exported_events.insert_id as {{ dbt.type_string() }}) as insert_id,
        {{ hackle_metric_value('exported_events.metric_text') }} as metric_value,
        coalesce(user_maps.entries, {{ hackle_empty_map() }}) as user_properties,
        coalesce(event_maps.entries, {{ hackle_empty_map() }}) as event_properties,
        platform_maps.entries as platform_properties
    from exported_events
    inner join identifiers_maps
        on exported_events.event_row_id = identifiers_maps.event_row_id
    inner join platform_maps
        on exported_events.event_row_id = platform_maps.event_row_id
    left join user_maps
        on exported_events.event_row_id = user_maps.event_row_id
    left join event_maps
        on exported_events.event_row_id = event_maps.event_row_id
)

-- stored in the order the exporter writes, where the warehouse keeps it
select * from final
{{ hackle_storage_order(['ts', 'insert_id']) }}
