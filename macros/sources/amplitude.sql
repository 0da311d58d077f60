{#- The Amplitude export: one row per event, the export's field names as columns,
    event_properties and user_properties as JSON object text. -#}

{% macro amplitude_required_columns() -%}
    {#- Export fields the staging model always reads, beside the vars' columns. -#}
    {{ return([
        'uuid', 'event_time', 'server_received_time', 'server_upload_time',
        'event_type', 'device_id', 'user_id', 'session_id', 'os_name', 'os_version',
        'platform', 'event_properties', 'user_properties'
    ]) }}
{%- endmacro %}


{% macro amplitude_platform_property_columns() -%}
    {#- Export fields that describe the app and device, read when the table has
        them, as [property key, column]. The OS and app version are added from the
        event row; the IP address, advertising ids and coordinates are personal
        data and never read. -#}
    {{ return([
        ['platform', 'platform'],
        ['library', 'library'],
        ['device_family', 'device_family'],
        ['device_type', 'device_type'],
        ['device_brand', 'device_brand'],
        ['device_manufacturer', 'device_manufacturer'],
        ['device_model', 'device_model'],
        ['carrier', 'device_carrier'],
        ['language', 'language'],
        ['country', 'country'],
        ['region', 'region'],
        ['city', 'city'],
        ['dma', 'dma']
    ]) }}
{%- endmacro %}


{% macro amplitude_columns_present(relation, columns) -%}
    {#- Those of `columns` (names) that `relation` has, in the order given; none at
        parse time, when nothing can be looked up. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(relation)
        | map(attribute='name') | map('lower') | list -%}
    {{ return(columns | select('in', present) | list) }}
{%- endmacro %}


{% macro amplitude_event_id(insert_id, device_id, uuid) -%}
    {#- The text that names the event for hackle_insert_id. Amplitude drops an
        event whose $insert_id its device already sent, so a $insert_id that is not
        a UUID is only unique per device: it is taken with the device id. A UUID is
        unique on its own and is kept as it is; without a $insert_id, Amplitude's
        own `uuid` of the row names it. -#}
    {%- set hex = '[0-9a-fA-F]' -%}
    {%- set uuid_pattern = hex ~ '{8}-' ~ hex ~ '{4}-' ~ hex ~ '{4}-' ~ hex ~ '{4}-'
        ~ hex ~ '{12}' -%}
    case
        when {{ hackle_is_blank(insert_id) }}
            then {{ hackle_unless_blank(uuid) }}
        when {{ hackle_regexp_matches(insert_id, uuid_pattern) }}
            then {{ insert_id }}
        else {{ dbt.concat([
            "coalesce(" ~ hackle_unless_blank(device_id) ~ ", '')", "'/'", insert_id
        ]) }}
    end
{%- endmacro %}


{% macro amplitude_source_problems() -%}
    {#- The events table exists and has the export fields the models read. -#}
    {%- set problems = [] -%}
    {%- set tz_problem = hackle_timezone_problem(
        'amplitude_source_timezone', var('amplitude_source_timezone')
    ) -%}
    {%- if tz_problem %}{% do problems.append(tz_problem) %}{% endif -%}
    {%- set versions = var('amplitude_version_columns') -%}
    {%- if versions is string or versions | length == 0 -%}
        {%- do problems.append(
            "amplitude_version_columns must be a non-empty list, e.g. ['version_name']"
        ) -%}
        {%- set versions = [] -%}
    {%- endif -%}
    {%- if not var('amplitude_insert_id_column') -%}
        {%- do problems.append(
            "amplitude_insert_id_column must name the column holding $insert_id"
        ) -%}
    {%- endif -%}
    {%- set named = [] -%}
    {%- if var('amplitude_insert_id_column') -%}
        {%- do named.append(
            ['amplitude_insert_id_column', var('amplitude_insert_id_column')]
        ) -%}
    {%- endif -%}
    {%- for column in versions -%}
        {%- do named.append(['amplitude_version_columns', column]) -%}
    {%- endfor -%}
    {%- for column in amplitude_required_columns() -%}
        {%- do named.append(['the Amplitude export schema', column]) -%}
    {%- endfor -%}
    {%- do problems.extend(hackle_table_problems(
        'amplitude', hackle_source_relation('amplitude'),
        ['amplitude_schema', 'amplitude_table'], named
    )) -%}
    {{ return(problems) }}
{%- endmacro %}
