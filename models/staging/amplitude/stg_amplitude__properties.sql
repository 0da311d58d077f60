{{ config(enabled=hackle_source_enabled('amplitude')) }}

{%- set present = amplitude_columns_present(
    hackle_source_relation('amplitude'),
    amplitude_platform_property_columns() | map(attribute=1) | list
) -%}
{%- set platform_entries = [] -%}
{%- for key, column in amplitude_platform_property_columns() if column in present -%}
    {%- do platform_entries.append([key, hackle_unless_blank('events.' ~ column)]) -%}
{%- endfor -%}

with

-- on an incremental run, only the events it re-reads (see stg_reread_window)
events as (
    select * from {{ ref('stg_amplitude__events') }}
    where {{ hackle_is_reread('received_at') }}
),

-- the entries of the event_properties object
event_json as (
    select
        events.event_row_id,
        'event' as property_scope,
        entries.entry_key as property_key,
        entries.entry_text as property_value
    from events
    {{ hackle_json_entries_join('events.event_properties_json', '$', 'entries') }}
    where not entries.entry_is_null
),

-- the entries of the user_properties object
user_json as (
    select
        events.event_row_id,
        'user' as property_scope,
        entries.entry_key as property_key,
        entries.entry_text as property_value
    from events
    {{ hackle_json_entries_join('events.user_properties_json', '$', 'entries') }}
    where not entries.entry_is_null
),

{% if platform_entries -%}
-- the app, device and place; osname and the versions are added after validation
platform_columns as (
    {{ hackle_unpivot_properties('events', 'platform', platform_entries) }}
),

{% endif -%}
unioned as (
    select * from event_json
    union all
    select * from user_json
    {%- if platform_entries %}
    union all
    select * from platform_columns
    {%- endif %}
)

select * from unioned
where property_value is not null
