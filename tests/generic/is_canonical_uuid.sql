{#- Fails for every value that is not lowercase 8-4-4-4-12 UUID text. -#}
{% test is_canonical_uuid(model, column_name) %}

select {{ column_name }}
from {{ model }}
where not {{ hackle_regexp_matches(
    column_name,
    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
) }}

{% endtest %}
