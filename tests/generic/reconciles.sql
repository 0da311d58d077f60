{#- Fails for every day whose source rows are not exactly the exported, rejected
    and duplicate rows added up. -#}
{% test reconciles(model) %}

select *
from {{ model }}
where source_rows <> exported_rows + rejected_rows + duplicates_removed

{% endtest %}
