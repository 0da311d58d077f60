{{ config(enabled=hackle_source_enabled('ga4')) }}

{%- set os_version_text = 'device.operating_system_version' -%}
{#- GA4 writes the OS name before the version ("Android 14", "iOS 17.4.1"); the
    trailing number is the version, and text without one is kept as it is. -#}
{%- set os_version = hackle_first_present([
    hackle_regexp_extract(os_version_text, '([0-9][0-9.]*)$'), os_version_text
]) -%}
{%- set params_text = ga4_nested_text('event_params') -%}

with

shard_rows as (
    select * from {{ ref('stg_ga4__shard_rows') }}
),

-- the fields the common shape needs, read out of GA4's columns
read_out as (
    select
        *,
        {{ ga4_micros_to_timestamp('event_timestamp') }} as event_time_utc,
        {#- the upload time: the client's time plus the offset GA4 measured -#}
        {{ ga4_micros_to_timestamp(
            'event_timestamp + coalesce(event_server_timestamp_offset, 0)'
        ) }} as received_at_utc,
        {{ hackle_first_present([ga4_value_text(
            ga4_param_value('event_params', 'ga_session_id')
        )]) }} as ga_session_id_text,
        {{ hackle_first_present(['user_pseudo_id']) }} as pseudo_id,
        {{ os_version }} as os_version_text,
        {{ ga4_column_or_null('batch_event_index', 'bigint') }} as batch_event_index_,
        {{ ga4_column_or_null('batch_page_id', 'bigint') }} as batch_page_id_,
        {{ ga4_column_or_null('batch_ordering_id', 'bigint') }} as batch_ordering_id_
    from shard_rows
),

-- the common event shape every source kind produces
renamed as (
    select
        'ga4' as source_kind,
        {{ hackle_hash([
            'event_date', 'event_timestamp', 'event_name', params_text,
            'event_previous_timestamp', 'event_value_in_usd',
            'event_bundle_sequence_id', 'event_server_timestamp_offset', 'user_id',
            'user_pseudo_id', ga4_nested_text('user_properties'), 'stream_id',
            'platform', 'batch_event_index_', 'batch_page_id_', 'batch_ordering_id_',
            ga4_nested_text('ecommerce')
        ]) }} as event_row_id,
        cast(null as {{ dbt.type_string() }}) as source_event_id,
        {#- GA4 has no event id: the event's own fields, never its upload, and its
            parameters, which tell apart visitors without user_pseudo_id -#}
        {{ hackle_insert_id('ga4', 'cast(null as ' ~ dbt.type_string() ~ ')', [
            'event_timestamp', 'event_name', 'user_pseudo_id', 'user_id',
            'stream_id', 'event_bundle_sequence_id', 'batch_event_index_',
            'batch_page_id_', 'batch_ordering_id_', params_text
        ]) }} as insert_id,
        event_time_utc as event_time,
        received_at_utc as received_at,
        event_name,
        pseudo_id as id,
        pseudo_id as device_id,
        {{ hackle_first_present(['user_id']) }} as user_id,
        case
            when pseudo_id is not null and ga_session_id_text is not null
                then {{ dbt.concat(['pseudo_id', "'-'", 'ga_session_id_text']) }}
        end as session_id,
        ga_session_id_text as ga_session_id,
        pseudo_id as ga_device_id,
        cast(event_value_in_usd as {{ dbt.type_string() }}) as metric_text,
        {{ hackle_json_properties_valid([]) }} as properties_are_valid,
        {{ hackle_first_present(['device.operating_system']) }} as osname_raw,
        {#- web streams have no app: their OS version stands in -#}
        {{ hackle_first_present(['app_info.version', 'os_version_text']) }}
            as version_raw,
        os_version_text as os_version,
        {{ hackle_first_present(['app_info.version']) }} as app_version,
        event_params,
        user_properties,
        device,
        geo,
        app_info,
        traffic_source,
        ecommerce,
        platform,
        stream_id,
        event_date,
        shard_table,
        shard_is_intraday
    from read_out
)

select * from renamed
