{#- Every source row with the event-mapping seed applied: its event_key and, where
    the seed names one, the event property whose value is its metric. On an
    incremental run, only the rows it re-reads (see stg_reread_window). -#}

{#- reading the properties costs a pass over every JSON property column, so it is
    left out when the seed names no metric property for an enabled source kind -#}
{%- set reads_properties = hackle_mapping_names_metric_properties() %}

with

events as (
    select * from {{ ref('int_events__unioned') }}
    where {{ hackle_is_reread('received_at') }}
),

mapping as (
    select * from {{ ref('hackle_event_mapping') }}
),

{%- if reads_properties %}

properties as (
    select * from {{ ref('int_properties__unioned') }}
),
{%- endif %}

-- a kind's own mapping row wins, whole, over a row for every kind (`*`)
with_mapping as (
    select
        events.*,
        coalesce(own.source_event_name, any_kind.source_event_name) is not null
            as is_mapped,
        {{ hackle_unless_blank(
            'case when own.source_event_name is not null then own.event_key'
            ~ ' else any_kind.event_key end'
        ) }} as mapped_event_key,
        {{ hackle_unless_blank(
            'case when own.source_event_name is not null then own.metric_property'
            ~ ' else any_kind.metric_property end'
        ) }} as metric_property
    from events
    left join mapping as own
        on own.source_kind = events.source_kind
        and own.source_event_name = events.event_name
    left join mapping as any_kind
        on any_kind.source_kind = '*'
        and any_kind.source_event_name = events.event_name
),

{%- if reads_properties %}

-- the named metric property of each event; among keys that differ only in case,
-- the one already in lowercase, then the first in byte order
metric_values as (
    select
        properties.event_row_id,
        properties.property_value,
        row_number() over (
            partition by properties.event_row_id
            order by
                case when properties.property_key = lower(properties.property_key)
                    then 0 else 1 end,
                properties.property_key
        ) as key_rank
    from properties
    inner join (
        select distinct event_row_id, metric_property
        from with_mapping
        where metric_property is not null
    ) as wanted
        on properties.event_row_id = wanted.event_row_id
        and properties.property_scope = 'event'
        and lower(properties.property_key) = lower(wanted.metric_property)
),
{%- endif %}

final as (
    select
        with_mapping.source_kind,
        with_mapping.event_row_id,
        with_mapping.source_event_id,
        with_mapping.insert_id,
        with_mapping.event_time,
        with_mapping.received_at,
        with_mapping.event_name as source_event_name,
        coalesce(with_mapping.mapped_event_key, with_mapping.event_name) as event_name,
        with_mapping.is_mapped,
        with_mapping.id,
        with_mapping.device_id,
        with_mapping.user_id,
        with_mapping.session_id,
        with_mapping.ga_session_id,
        with_mapping.ga_device_id,
        {%- if reads_properties %}
        case
            when with_mapping.metric_property is not null
                then metric_values.property_value
            else with_mapping.metric_text
        end as metric_text,
        {%- else %}
        with_mapping.metric_text,
        {%- endif %}
        with_mapping.osname_raw,
        with_mapping.version_raw,
        with_mapping.os_version,
        with_mapping.app_version,
        with_mapping.properties_are_valid
    from with_mapping
    {%- if reads_properties %}
    left join metric_values
        on with_mapping.event_row_id = metric_values.event_row_id
        and metric_values.key_rank = 1
    {%- endif %}
)

select * from final
