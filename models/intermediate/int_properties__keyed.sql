{#- Every map entry of every exportable event, keys lowercased: whether the
    property filters withhold it, and its rank among the entries not withheld that
    share its lowercased key. Rank 1 is exported; the others are counted as key
    collisions. Kept between runs: an incremental run adds the entries of the
    exportable events it re-reads (macros/incremental/reread_window.sql) and
    replaces whole every day they fall on. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=hackle_reread_strategy(),
    partition_by=hackle_partition_by('dt'),
    on_schema_change='fail'
) }}
{{ hackle_reads_reread_window() }}

with

exported_events as (
    select * from {{ ref('int_events__validated') }}
    where row_status = 'exported'
    {%- if is_incremental() %}
        and {{ hackle_is_reread('received_at') }}
    {%- endif %}
),

source_properties as (
    select * from {{ ref('int_properties__unioned') }}
),

-- identifiers and the required platform fields, taken from the event itself
derived_entries as (
    {%- set derived = [
        ['identifiers', 'id', 'id'],
        ['identifiers', 'device_id', 'device_id'],
        ['identifiers', 'user_id', 'user_id'],
        ['identifiers', 'session_id', 'session_id'],
        ['identifiers', 'ga_session_id', 'ga_session_id'],
        ['identifiers', 'ga_device_id', 'ga_device_id'],
        ['platform', 'osname', 'osname'],
        ['platform', 'version', 'version_raw'],
        ['platform', 'osversion', 'os_version'],
        ['platform', 'appversion', 'app_version']
    ] %}
    {%- for scope, key, column in derived %}
    select
        event_row_id,
        dt,
        received_at,
        '{{ scope }}' as property_scope,
        '{{ key }}' as property_key,
        {{ column }} as property_value,
        0 as source_priority
    from exported_events
    where not {{ hackle_is_blank(column) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- properties the source carries, for exportable events only
carried_entries as (
    select
        source_properties.event_row_id,
        exported_events.dt,
        exported_events.received_at,
        source_properties.property_scope,
        source_properties.property_key,
        source_properties.property_value,
        1 as source_priority
    from source_properties
    inner join exported_events
        on source_properties.event_row_id = exported_events.event_row_id
    where not {{ hackle_is_blank('source_properties.property_key') }}
),

all_entries as (
    select * from derived_entries
    union all
    select * from carried_entries
),

filters as (
    select
        property_scope,
        lower(key_pattern) as key_pattern,
        lower(action) as action
    from {{ ref('hackle_property_filters') }}
),

-- scopes that export only what an allow row names
allow_listed_scopes as (
    select distinct property_scope
    from filters
    where action = 'allow'
),

-- entries the filters withhold: a deny row matches, or the scope is allow-listed
-- and no allow row matches; the contract's own fields are never withheld
judged as (
    select
        all_entries.*,
        all_entries.source_priority = 1 and (
            exists (
                select 1 from filters
                where filters.action = 'deny'
                    and filters.property_scope in (all_entries.property_scope, '*')
                    and lower(all_entries.property_key) like filters.key_pattern
            )
            or (
                exists (
                    select 1 from allow_listed_scopes
                    where allow_listed_scopes.property_scope
                        in (all_entries.property_scope, '*')
                )
                and not exists (
                    select 1 from filters
                    where filters.action = 'allow'
                        and filters.property_scope in (all_entries.property_scope, '*')
                        and lower(all_entries.property_key) like filters.key_pattern
                )
            )
        ) as is_withheld
    from all_entries
),

-- one winner per lowercased key among the entries not withheld: a field of the
-- event itself, then a key already written in lowercase, then the first original
-- key in byte order
keyed as (
    select
        event_row_id,
        dt,
        received_at,
        property_scope,
        lower(property_key) as property_key,
        property_key as original_key,
        property_value,
        is_withheld,
        case when not is_withheld then row_number() over (
            partition by event_row_id, property_scope, lower(property_key), is_withheld
            order by
                source_priority,
                case when property_key = lower(property_key) then 0 else 1 end,
                property_key,
                property_value
        ) end as key_rank
    from judged
),
{%- if is_incremental() %}

-- the kept entries of the other events of the days the new entries fall on, so
-- that each of those days is replaced whole; only of events still exportable
unchanged as (
    select * from {{ this }} as kept
    where not {{ hackle_is_reread('kept.received_at') }}
        and kept.dt in (select keyed.dt from keyed)
        and kept.event_row_id in (
            select validated.event_row_id
            from {{ ref('int_events__validated') }} as validated
            where validated.row_status = 'exported'
        )
),

final as (
    select * from keyed
    union all
    select * from unchanged
)
{%- else %}

final as (
    select * from keyed
)
{%- endif %}

select * from final
