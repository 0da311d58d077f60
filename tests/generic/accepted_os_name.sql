{#- Fails for every platform map whose osname is not in `accepted_os_names`. -#}
{% test accepted_os_name(model, column_name) %}

select {{ column_name }}
from {{ model }}
where lower(coalesce({{ hackle_map_value(column_name, "'osname'") }}, ''))
    not in ('{{ var("accepted_os_names") | map("lower") | join("', '") }}')

{% endtest %}
