{#- Helpers shared by the staging models of every source kind. -#}

{% macro hackle_first_present(expressions) -%}
    {#- The first of the expressions that is not blank (null, empty or only
        white space), as text. -#}
    {%- if expressions | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        coalesce(
        {%- for expression in expressions %}
            {{ hackle_unless_blank(expression) }}{{ "," if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{% macro hackle_unpivot_properties(relation_alias, scope, entries) -%}
    {#- Property rows (event_row_id, property_scope, property_key, property_value)
        from a list of [key, text expression] pairs over `relation_alias`, one row per
        pair whose value is not null. A cross join with the list of keys reads the
        relation once, whatever the number of keys. -#}
    select
        {{ relation_alias }}.event_row_id,
        '{{ scope }}' as property_scope,
        property_names.property_key,
        case property_names.property_key
        {%- for key, expression in entries %}
            when '{{ key }}' then {{ expression }}
        {%- endfor %}
        end as property_value
    from {{ relation_alias }}
    cross join (
        {%- for key, expression in entries %}
        select '{{ key }}' as property_key{{ " union all" if not loop.last }}
        {%- endfor %}
    ) as property_names
{%- endmacro %}


{% macro hackle_value_text(expression, data_type) -%}
    {#- A typed value as property text: numbers canonical, booleans true/false. -#}
    {%- set t = data_type | lower -%}
    {%- if t.startswith('bool') -%}
        {{ hackle_bool_text(expression) }}
    {%- elif t in ('double', 'float', 'float64', 'real', 'float4', 'float8', 'double precision')
          or t.startswith('decimal') or t.startswith('numeric') -%}
        {#- Through the value's own shortest text, so that a 4-byte 0.1 stays 0.1
            instead of the 0.10000000149011612 a widening cast would give. -#}
        {{ hackle_number_text(
            'cast(cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ') as '
            ~ hackle_type_double() ~ ')'
        ) }}
    {%- else -%}
        cast({{ expression }} as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{% macro hackle_source_relation(kind) -%}
    {#- The source table of a source kind as a relation to inspect for columns.
        Built from the vars rather than source(), which names a fixture inside
        unit tests, where only the real table can say which columns exist. -#}
    {%- set table_var = 'snowplow_events_table' if kind == 'snowplow' else kind ~ '_table' -%}
    {{ return(api.Relation.create(
        database=var(kind ~ '_database') or target.database,
        schema=var(kind ~ '_schema'),
        identifier=var(table_var)
    )) }}
{%- endmacro %}


{% macro hackle_union_staged(model_suffix, columns) -%}
    {#- `union all` of the staging model `stg_<kind>__<model_suffix>` of every
        enabled source kind, selecting `columns` in that order. -#}
    {%- for kind in var('sources') %}
    select {{ columns | join(', ') }}
    from {{ ref('stg_' ~ kind ~ '__' ~ model_suffix) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
