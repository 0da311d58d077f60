{#- Every enabled source kind's staged events, in the common event shape. -#}

{%- set common_columns = [
    'source_kind', 'event_row_id', 'source_event_id', 'insert_id', 'event_time',
    'received_at', 'event_name', 'id', 'device_id', 'user_id', 'session_id',
    'ga_session_id', 'ga_device_id', 'metric_raw', 'osname_raw', 'version_raw',
    'os_version', 'app_version'
] -%}

with

{% for kind in var('sources') -%}
-- {{ kind }} events
{{ kind }}_events as (
    select {{ common_columns | join(', ') }}
    from {{ ref('stg_' ~ kind ~ '__events') }}
),

{% endfor -%}

unioned as (
    {%- for kind in var('sources') %}
    select * from {{ kind }}_events
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unioned
