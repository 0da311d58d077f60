{{ config(enabled=hackle_source_enabled('snowplow')) }}

{%- set events = hackle_source_relation('snowplow') -%}  {#- for column discovery only -#}
{%- set client_session = 'contexts_com_snowplowanalytics_snowplow_client_session' -%}
{%- set mobile = 'contexts_com_snowplowanalytics_snowplow_mobile_context' -%}
{%- set application = 'contexts_com_snowplowanalytics_mobile_application' -%}
{%- set yauaa = 'contexts_nl_basjes_yauaa_context' -%}
{%- set ua_parser = 'contexts_com_snowplowanalytics_snowplow_ua_parser_context' -%}
{%- set screen_view = 'unstruct_event_com_snowplowanalytics_mobile_screen_view' -%}

with

source_events as (
    select * from {{ source('snowplow', 'events') }}
),

-- read the entities this model uses out of their versioned JSON columns
with_entities as (
    select
        *,
        {{ snowplow_entity_field(events, client_session, 'userId') }}
            as client_session_user_id_camel,
        {{ snowplow_entity_field(events, client_session, 'user_id') }}
            as client_session_user_id_snake,
        {{ snowplow_entity_field(events, client_session, 'sessionId') }}
            as client_session_id_camel,
        {{ snowplow_entity_field(events, client_session, 'session_id') }}
            as client_session_id_snake,
        {{ snowplow_entity_field(events, mobile, 'osType') }} as mobile_os_type,
        {{ snowplow_entity_field(events, mobile, 'osVersion') }} as mobile_os_version,
        {{ snowplow_entity_field(events, mobile, 'deviceManufacturer') }}
            as device_manufacturer,
        {{ snowplow_entity_field(events, mobile, 'deviceModel') }} as device_model,
        {{ snowplow_entity_field(events, application, 'version') }} as app_version,
        {{ snowplow_entity_field(events, application, 'build') }} as app_build,
        {{ snowplow_entity_field(events, yauaa, 'operatingSystemName') }}
            as yauaa_os_name,
        {{ snowplow_entity_field(events, yauaa, 'operatingSystemVersion') }}
            as yauaa_os_version,
        {{ snowplow_entity_field(events, ua_parser, 'osFamily') }}
            as ua_parser_os_family,
        {{ snowplow_entity_field(events, screen_view, 'name') }} as screen_name
    from source_events
),

-- the OS as the trackers report it: the mobile context first, then the user-agent
-- enrichments, then the tracker itself (andr-* and ios-* trackers run only there)
with_os as (
    select
        *,
        coalesce(client_session_user_id_camel, client_session_user_id_snake)
            as client_session_user_id,
        coalesce(client_session_id_camel, client_session_id_snake) as client_session_id,
        {{ hackle_first_present([
            'mobile_os_type', 'yauaa_os_name', 'ua_parser_os_family', 'os_name',
            "case when v_tracker like 'andr-%' then 'Android'"
            ~ " when v_tracker like 'ios-%' then 'iOS' end"
        ]) }} as osname_raw,
        {{ hackle_first_present([
            'mobile_os_version',
            "case when v_tracker like 'andr-%' then "
            ~ hackle_regexp_extract('useragent', 'android/([0-9][0-9.]*)') ~ " end",
            'yauaa_os_version'
        ]) }} as os_version
    from with_entities
),

-- the common event shape every source kind produces
renamed as (
    select
        'snowplow' as source_kind,
        {{ hackle_hash([
            'event_id', 'collector_tstamp', 'derived_tstamp', 'dvce_created_tstamp',
            'etl_tstamp', 'event_name', 'event_fingerprint', 'network_userid',
            'domain_userid', 'user_id'
        ]) }} as event_row_id,
        event_id as source_event_id,
        {{ hackle_insert_id('snowplow', 'event_id', [
            'collector_tstamp', 'derived_tstamp', 'event_name', 'network_userid'
        ]) }} as insert_id,
        coalesce(derived_tstamp, dvce_created_tstamp, collector_tstamp) as event_time,
        collector_tstamp as received_at,
        event_name,
        {{ hackle_first_present(var('snowplow_id_columns')) }} as id,
        {{ hackle_first_present(var('snowplow_device_id_columns')) }} as device_id,
        nullif(user_id, '') as user_id,
        {{ hackle_first_present(['domain_sessionid', 'client_session_id']) }}
            as session_id,
        cast(null as {{ dbt.type_string() }}) as ga_session_id,
        cast(null as {{ dbt.type_string() }}) as ga_device_id,
        cast(coalesce(tr_total, se_value) as {{ dbt.type_string() }}) as metric_text,
        {{ hackle_json_properties_valid(
            snowplow_self_describing_event_columns(events), '$[0]'
        ) }} as properties_are_valid,
        osname_raw,
        {{ hackle_first_present(var('snowplow_version_columns')) }} as version_raw,
        os_version,
        app_version,
        platform,
        app_id,
        v_tracker,
        device_manufacturer,
        device_model,
        screen_name,
        page_url,
        page_title,
        page_referrer,
        se_category,
        se_action,
        se_label,
        se_property,
        geo_country,
        geo_region,
        geo_city,
        geo_timezone,
        br_lang
        {%- for column in snowplow_self_describing_event_columns(events) %},
        {{ column }}
        {%- endfor %}
    from with_os
)

select * from renamed
