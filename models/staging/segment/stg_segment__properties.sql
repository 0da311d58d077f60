{{ config(enabled=hackle_source_enabled('segment')) }}

{%- set tracks = segment_relation('segment_tracks_table') -%}
{%- set platform = segment_platform_columns(tracks) -%}

with

-- on an incremental run, only the events it re-reads (see stg_reread_window)
events as (
    select * from {{ ref('stg_segment__events') }}
    where {{ hackle_is_reread('received_at') }}
),

track_properties as (
    select * from {{ ref('stg_segment__track_properties') }}
),

identify_traits as (
    select * from {{ ref('stg_segment__identify_traits') }}
),

-- the per-event table rows of each message: a message loaded twice has two
-- rows there too, and each copy in tracks takes the one received nearest to it
track_rows as (
    select distinct table_row_id, message_id, received_at
    from track_properties
),

matched_track_rows as (
    select
        events.event_row_id,
        track_rows.table_row_id,
        row_number() over (
            partition by events.event_row_id
            order by
                coalesce(abs({{ dbt.datediff(
                    'events.received_at', 'track_rows.received_at', 'second'
                ) }}), 9007199254740992),
                track_rows.table_row_id
        ) as match_rank
    from events
    inner join track_rows
        on events.source_event_id = track_rows.message_id
),

-- the event's own properties, from its per-event table
event_properties as (
    select
        matched_track_rows.event_row_id,
        'event' as property_scope,
        track_properties.property_key,
        track_properties.property_value
    from matched_track_rows
    inner join track_properties
        on matched_track_rows.table_row_id = track_properties.table_row_id
    where matched_track_rows.match_rank = 1
),

-- identify calls at or before the event: the user's own, then those of the
-- anonymous id (calls made before login)
identify_calls as (
    select distinct identify_row_id, user_id, anonymous_id, identified_at, received_at
    from identify_traits
),

candidate_identifies as (
    select
        events.event_row_id,
        identify_calls.identify_row_id,
        identify_calls.identified_at,
        identify_calls.received_at,
        1 as match_priority
    from events
    inner join identify_calls
        on events.user_id = identify_calls.user_id
        and identify_calls.identified_at <= events.event_time
    union all
    select
        events.event_row_id,
        identify_calls.identify_row_id,
        identify_calls.identified_at,
        identify_calls.received_at,
        2 as match_priority
    from events
    inner join identify_calls
        on events.anonymous_id = identify_calls.anonymous_id
        and identify_calls.identified_at <= events.event_time
),

-- the most recent identify call wins whole
latest_identifies as (
    select
        event_row_id,
        identify_row_id,
        row_number() over (
            partition by event_row_id
            order by
                match_priority, identified_at desc, received_at desc, identify_row_id
        ) as identify_rank
    from candidate_identifies
),

user_properties as (
    select
        latest_identifies.event_row_id,
        'user' as property_scope,
        identify_traits.trait_key as property_key,
        identify_traits.trait_value as property_value
    from latest_identifies
    inner join identify_traits
        on latest_identifies.identify_row_id = identify_traits.identify_row_id
    where latest_identifies.identify_rank = 1
),

{% if platform -%}
-- the app and device from the context fields; osname and version are added
-- after validation
platform_properties as (
    {%- set entries = [] -%}
    {%- for key, column, data_type in platform -%}
        {%- do entries.append([key, 'events.' ~ adapter.quote('platform__' ~ key)]) -%}
    {%- endfor %}
    {{ hackle_unpivot_properties('events', 'platform', entries) }}
),

{% endif -%}

unioned as (
    select * from event_properties
    union all
    select * from user_properties
    {%- if platform %}
    union all
    select * from platform_properties
    {%- endif %}
)

select * from unioned
where property_value is not null
