{#- Fails for every row whose map lacks one of `keys` or holds a blank value there. -#}
{% test map_has_keys(model, column_name, keys) %}

select {{ column_name }}
from {{ model }}
where
{%- for key in keys %}
    {{ hackle_is_blank(hackle_map_value(column_name, "'" ~ key ~ "'")) }}
    {%- if not loop.last %} or{% endif %}
{%- endfor %}

{% endtest %}
