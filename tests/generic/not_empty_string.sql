{#- Fails for every value that is empty or only white space. -#}
{% test not_empty_string(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and {{ hackle_is_blank(column_name) }}

{% endtest %}
