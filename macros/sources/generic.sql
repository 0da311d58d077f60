{% macro generic_source_problems() -%}
    {#- The generic table exists and has every column the generic_* vars name. -#}
    {%- set problems = [] -%}
    {%- set columns = var('generic_columns') -%}
    {%- for required in ['event_time', 'event_name', 'id', 'device_id', 'osname', 'version'] -%}
        {%- if not columns.get(required) -%}
            {%- do problems.append(
                "generic_columns." ~ required ~ " must name a column of the generic table"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set named = [] -%}
    {%- for field, column in columns.items() if column -%}
        {%- do named.append(['generic_columns.' ~ field, column]) -%}
    {%- endfor -%}
    {%- for scope in ['event', 'user', 'platform'] -%}
        {%- for column in var('generic_' ~ scope ~ '_property_columns') -%}
            {%- do named.append(['generic_' ~ scope ~ '_property_columns', column]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for name in ['generic_event_properties_json', 'generic_user_properties_json'] if var(name) -%}
        {%- do named.append([name, var(name)]) -%}
    {%- endfor -%}
    {%- do problems.extend(hackle_table_problems(
        'generic', hackle_source_relation('generic'), ['generic_schema', 'generic_table'], named
    )) -%}
    {{ return(problems) }}
{%- endmacro %}
