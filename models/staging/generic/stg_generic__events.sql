{{ config(enabled=hackle_source_enabled('generic')) }}

{%- set events = hackle_source_relation('generic') -%}  {#- for column types only -#}
{%- set c = var('generic_columns') -%}
{%- set source_tz = var('generic_source_timezone') -%}

{#- every field of the common shape: its quoted column, or a typed null -#}
{%- set col = {} -%}
{%- for field in [
    'event_time', 'received_at', 'event_name', 'event_id', 'id', 'device_id',
    'user_id', 'session_id', 'metric', 'osname', 'version', 'osversion', 'appversion'
] -%}
    {%- do col.update({field: adapter.quote(c[field]) if c.get(field)
        else 'cast(null as ' ~ dbt.type_string() ~ ')'}) -%}
{%- endfor %}

{%- set event_time = hackle_to_utc_timestamp(events, c['event_time'], source_tz) -%}
{%- set received_at = hackle_to_utc_timestamp(
    events, c.get('received_at'), source_tz
) if c.get('received_at') else event_time -%}

with

source_events as (
    select * from {{ source('generic', 'events') }}
),

-- the common event shape every source kind produces
renamed as (
    select
        'generic' as source_kind,
        {{ hackle_hash([
            col['event_id'], col['event_time'], col['received_at'],
            col['event_name'], col['id'], col['device_id'],
            adapter.quote(var('generic_event_properties_json')) if var('generic_event_properties_json') else 'null',
            adapter.quote(var('generic_user_properties_json')) if var('generic_user_properties_json') else 'null'
        ]) }} as event_row_id,
        cast({{ col['event_id'] }} as {{ dbt.type_string() }}) as source_event_id,
        {{ hackle_insert_id(
            'generic',
            'cast(' ~ col['event_id'] ~ ' as ' ~ dbt.type_string() ~ ')',
            [event_time, col['event_name'], col['device_id'], col['id']]
        ) }} as insert_id,
        {{ event_time }} as event_time,
        {{ received_at }} as received_at,
        cast({{ col['event_name'] }} as {{ dbt.type_string() }}) as event_name,
        {{ hackle_first_present([col['id']]) }} as id,
        {{ hackle_first_present([col['device_id']]) }} as device_id,
        {{ hackle_first_present([col['user_id']]) }} as user_id,
        {{ hackle_first_present([col['session_id']]) }} as session_id,
        cast(null as {{ dbt.type_string() }}) as ga_session_id,
        cast(null as {{ dbt.type_string() }}) as ga_device_id,
        cast({{ col['metric'] }} as {{ dbt.type_string() }}) as metric_text,
        {%- set json_columns = [] %}
        {%- for name in [
            'generic_event_properties_json', 'generic_user_properties_json'
        ] if var(name) %}
        {%- do json_columns.append(adapter.quote(var(name))) %}
        {%- endfor %}
        {{ hackle_json_properties_valid(json_columns) }} as properties_are_valid,
        {{ hackle_first_present([col['osname']]) }} as osname_raw,
        {{ hackle_first_present([col['version']]) }} as version_raw,
        {{ hackle_first_present([col['osversion']]) }} as os_version,
        {{ hackle_first_present([col['appversion']]) }} as app_version
        {%- for scope in ['event', 'user', 'platform'] %}
        {%- for column in var('generic_' ~ scope ~ '_property_columns') %},
        {{ adapter.quote(column) }} as {{ adapter.quote('prop_' ~ scope ~ '__' ~ column) }}
        {%- endfor %}
        {%- endfor %}
        {%- if var('generic_event_properties_json') %},
        {{ adapter.quote(var('generic_event_properties_json')) }}
            as event_properties_json
        {%- endif %}
        {%- if var('generic_user_properties_json') %},
        {{ adapter.quote(var('generic_user_properties_json')) }} as user_properties_json
        {%- endif %}
    from source_events
)

select * from renamed
