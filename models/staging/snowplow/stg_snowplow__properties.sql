{{ config(enabled=hackle_source_enabled('snowplow')) }}

{%- set self_describing = snowplow_self_describing_event_columns(
    hackle_source_relation('snowplow')
) -%}

with

-- on an incremental run, only the events it re-reads (see stg_reread_window)
events as (
    select * from {{ ref('stg_snowplow__events') }}
    where {{ hackle_is_reread('received_at') }}
),

-- atomic columns that describe the event
event_columns as (
    {{ hackle_unpivot_properties('events', 'event', [
        ['page_url', 'page_url'],
        ['page_title', 'page_title'],
        ['page_referrer', 'page_referrer'],
        ['se_category', 'se_category'],
        ['se_action', 'se_action'],
        ['se_label', 'se_label'],
        ['se_property', 'se_property']
    ]) }}
),

-- the payload of each self-describing event, one property per field
{%- for column in self_describing %}
self_describing_{{ loop.index }} as (
    select
        events.event_row_id,
        'event' as property_scope,
        payload.entry_key as property_key,
        payload.entry_text as property_value
    from events
    {{ hackle_json_entries_join('events.' ~ column, '$[0]', 'payload') }}
    where events.{{ column }} is not null
        and not payload.entry_is_null
),
{%- endfor %}

-- where the user is: Snowplow keeps no user traits in atomic events
user_columns as (
    {{ hackle_unpivot_properties('events', 'user', [
        ['geo_country', 'geo_country'],
        ['geo_region', 'geo_region'],
        ['geo_city', 'geo_city'],
        ['geo_timezone', 'geo_timezone'],
        ['language', 'br_lang']
    ]) }}
),

-- the app and device; osname and version are added after validation
platform_columns as (
    {{ hackle_unpivot_properties('events', 'platform', [
        ['platform', 'platform'],
        ['app_id', 'app_id'],
        ['tracker', 'v_tracker'],
        ['device_manufacturer', 'device_manufacturer'],
        ['device_model', 'device_model']
    ]) }}
),

unioned as (
    select * from event_columns
    {%- for column in self_describing %}
    union all
    select * from self_describing_{{ loop.index }}
    {%- endfor %}
    union all
    select * from user_columns
    union all
    select * from platform_columns
)

select * from unioned
where property_value is not null
