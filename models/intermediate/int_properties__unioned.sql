{#- Every enabled source kind's staged properties. Identical rows (from identical
    source rows) are kept once. -#}

with

unioned as (
    {{ hackle_union_staged('properties', [
        'event_row_id', 'property_scope', 'property_key', 'property_value'
    ]) }}
),

-- byte-identical source rows share an event_row_id and so their properties
distinct_rows as (
    select distinct event_row_id, property_scope, property_key, property_value
    from unioned
)

select * from distinct_rows
