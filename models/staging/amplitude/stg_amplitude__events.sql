{{ config(enabled=hackle_source_enabled('amplitude')) }}

{%- set events = hackle_source_relation('amplitude') -%}  {#- for column types only -#}
{%- set source_tz = var('amplitude_source_timezone') -%}
{%- set insert_id = adapter.quote(var('amplitude_insert_id_column')) -%}
{%- set platform_columns = amplitude_columns_present(
    events, amplitude_platform_property_columns() | map(attribute=1) | list
) -%}
{%- set has_revenue = amplitude_columns_present(events, ['revenue']) | length > 0 -%}

{%- set event_time = hackle_to_utc_timestamp(events, 'event_time', source_tz) -%}
{%- set server_received = hackle_to_utc_timestamp(
    events, 'server_received_time', source_tz
) -%}
{%- set server_upload = hackle_to_utc_timestamp(
    events, 'server_upload_time', source_tz
) -%}

with

source_events as (
    select * from {{ source('amplitude', 'events') }}
),

-- the text that names each event: $insert_id (per device), else the row's uuid
with_event_id as (
    select
        *,
        {{ amplitude_event_id(insert_id, 'device_id', 'uuid') }} as amplitude_event_id
    from source_events
),

-- the common event shape every source kind produces
renamed as (
    select
        'amplitude' as source_kind,
        {{ hackle_hash([
            insert_id, 'uuid', 'event_time', 'server_received_time',
            'server_upload_time', 'event_type', 'device_id', 'user_id',
            'event_properties', 'user_properties'
        ]) }} as event_row_id,
        {{ hackle_unless_blank(insert_id) }} as source_event_id,
        {{ hackle_insert_id('amplitude', 'amplitude_event_id', [
            event_time, 'event_type', 'device_id', 'user_id'
        ]) }} as insert_id,
        {{ event_time }} as event_time,
        coalesce({{ server_received }}, {{ server_upload }}) as received_at,
        cast(event_type as {{ dbt.type_string() }}) as event_name,
        {{ hackle_first_present(['device_id']) }} as id,
        {{ hackle_first_present(['device_id']) }} as device_id,
        {{ hackle_first_present(['user_id']) }} as user_id,
        {#- Amplitude writes -1 for an event sent outside any session #}
        {{ hackle_first_present([
            "case when trim(cast(session_id as " ~ dbt.type_string() ~ ")) <> '-1'"
            ~ " then session_id end"
        ]) }} as session_id,
        cast(null as {{ dbt.type_string() }}) as ga_session_id,
        cast(null as {{ dbt.type_string() }}) as ga_device_id,
        {%- if has_revenue %}
        cast(revenue as {{ dbt.type_string() }}) as metric_text,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as metric_text,
        {%- endif %}
        {{ hackle_json_properties_valid(['event_properties', 'user_properties']) }}
            as properties_are_valid,
        {{ hackle_first_present(['os_name', 'platform']) }} as osname_raw,
        {{ hackle_first_present(var('amplitude_version_columns')) }} as version_raw,
        {{ hackle_first_present(['os_version']) }} as os_version,
        {{ hackle_first_present(['version_name']) }} as app_version,
        {%- for column in platform_columns %}
        {{ column }},
        {%- endfor %}
        event_properties as event_properties_json,
        user_properties as user_properties_json
    from with_event_id
)

select * from renamed
