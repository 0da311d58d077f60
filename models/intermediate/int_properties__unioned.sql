{#- Every enabled source kind's staged properties. Identical rows (from identical
    source rows) are kept once. -#}

with

{% for kind in var('sources') -%}
-- {{ kind }} properties
{{ kind }}_properties as (
    select event_row_id, property_scope, property_key, property_value
    from {{ ref('stg_' ~ kind ~ '__properties') }}
),

{% endfor -%}

unioned as (
    {%- for kind in var('sources') %}
    select * from {{ kind }}_properties
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

distinct_rows as (
    select distinct event_row_id, property_scope, property_key, property_value
    from unioned
)

select * from distinct_rows
