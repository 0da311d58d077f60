{{ config(enabled=hackle_source_enabled('segment')) }}

{#- the real tracks table, for column discovery only -#}
{%- set tracks = segment_relation('segment_tracks_table') -%}
{%- set columns = segment_columns(tracks) -%}
{%- set source_tz = var('segment_source_timezone') -%}
{%- set event_time = hackle_to_utc_timestamp(tracks, 'timestamp', source_tz) -%}
{%- set received_at = hackle_to_utc_timestamp(tracks, 'received_at', source_tz) -%}
{%- set message_id = 'cast(' ~ adapter.quote('id') ~ ' as '
    ~ dbt.type_string() ~ ')' -%}
{%- set event_slug = adapter.quote('event') -%}
{%- set device_column = segment_column_or_null(columns, 'context_device_id') -%}
{#- the SDK's device id; server-side calls and web pages have only anonymous_id -#}
{%- set device = [device_column, 'anonymous_id'] -%}

with

tracks as (
    select * from {{ source('segment', 'tracks') }}
),

-- the common event shape every source kind produces; `id` in tracks is the
-- messageId
renamed as (
    select
        'segment' as source_kind,
        {{ hackle_hash([
            message_id, 'received_at', adapter.quote('timestamp'), event_slug,
            'anonymous_id', 'user_id', device_column
        ]) }} as event_row_id,
        {{ message_id }} as source_event_id,
        {{ hackle_insert_id('segment', message_id, [
            event_time, event_slug, 'anonymous_id', 'user_id'
        ]) }} as insert_id,
        {{ event_time }} as event_time,
        {{ received_at }} as received_at,
        {{ hackle_first_present([
            segment_column_or_null(columns, 'event_text'), event_slug
        ]) }} as event_name,
        {{ hackle_first_present(device) }} as id,
        {{ hackle_first_present(device) }} as device_id,
        {{ hackle_first_present(['user_id']) }} as user_id,
        {{ hackle_first_present([
            segment_column_or_null(columns, 'context_session_id')
        ]) }} as session_id,
        cast(null as {{ dbt.type_string() }}) as ga_session_id,
        cast(null as {{ dbt.type_string() }}) as ga_device_id,
        -- the event-mapping seed names the property that carries the metric
        cast(null as {{ dbt.type_string() }}) as metric_text,
        true as properties_are_valid,
        {{ hackle_first_present(['context_os_name']) }} as osname_raw,
        {{ hackle_first_present(var('segment_version_columns')) }} as version_raw,
        {{ hackle_first_present([
            segment_column_or_null(columns, 'context_os_version')
        ]) }} as os_version,
        {{ hackle_first_present([
            segment_column_or_null(columns, 'context_app_version')
        ]) }} as app_version,
        -- ties the event to its user's identify calls before login
        {{ hackle_first_present(['anonymous_id']) }} as anonymous_id
        {%- for key, column, data_type in segment_platform_columns(tracks) %},
        {{ hackle_value_text(adapter.quote(column), data_type) }}
            as {{ adapter.quote('platform__' ~ key) }}
        {%- endfor %}
    from tracks
)

select * from renamed
