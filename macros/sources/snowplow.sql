{#- Snowplow keeps self-describing events and entities in columns whose names end
    in the schema version (`..._1_0_0`, `..._1_0_1`). A pipeline has whichever
    versions it has seen; these macros use every version present, newest first. -#}

{% macro snowplow_versioned_columns(relation, prefix) -%}
    {#- Names of the columns of `relation` that start with `prefix`, newest first. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if modules.re.match(prefix ~ '_[0-9]+_[0-9]+_[0-9]+$', column.name | lower) -%}
            {%- do found.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set keyed = [] -%}
    {%- for name in found -%}
        {%- set version = name[prefix | length + 1:].split('_') | map('int') | list -%}
        {%- do keyed.append((version, name)) -%}
    {%- endfor -%}
    {{ return(keyed | sort(reverse=true) | map(attribute=1) | list) }}
{%- endmacro %}


{% macro snowplow_entity_field(relation, prefix, field) -%}
    {#- One field of the first entity of a versioned context or event column, as
        text; null when the table has no such column. -#}
    {%- set columns = snowplow_versioned_columns(relation, prefix) -%}
    {%- if columns | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- elif columns | length == 1 -%}
        {{ hackle_json_text(columns[0], '$[0].' ~ field) }}
    {%- else -%}
        coalesce(
        {%- for column in columns %}
            {{ hackle_json_text(column, '$[0].' ~ field) }}{{ "," if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{% macro snowplow_self_describing_event_columns(relation) -%}
    {#- Every `unstruct_event_*` column: the payloads of self-describing events. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if (column.name | lower).startswith('unstruct_event_') -%}
            {%- do found.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found | sort) }}
{%- endmacro %}


{% macro snowplow_source_problems() -%}
    {#- The atomic events table exists and has the atomic columns the models read. -#}
    {%- set named = [] -%}
    {%- for column in [
        'event_id', 'collector_tstamp', 'derived_tstamp', 'dvce_created_tstamp',
        'etl_tstamp', 'event_name', 'event_fingerprint', 'platform', 'app_id',
        'v_tracker', 'useragent', 'os_name', 'domain_userid', 'network_userid',
        'user_id', 'domain_sessionid', 'se_category', 'se_action', 'se_label',
        'se_property', 'se_value', 'tr_total', 'page_url', 'page_title',
        'page_referrer', 'geo_country', 'geo_region', 'geo_city', 'geo_timezone',
        'br_lang'
    ] -%}
        {%- do named.append(['the Snowplow atomic events schema (a standard column)', column]) -%}
    {%- endfor -%}
    {{ return(hackle_table_problems(
        'snowplow', hackle_source_relation('snowplow'),
        ['snowplow_schema', 'snowplow_events_table'], named
    )) }}
{%- endmacro %}
