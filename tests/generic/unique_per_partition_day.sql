{#- Fails for every value that occurs more than once within one export day, the
    day being the partition-zone date of `time_column`. -#}
{% test unique_per_partition_day(model, column_name, time_column) %}

select
    {{ hackle_partition_date(time_column) }} as dt,
    {{ column_name }},
    count(*) as occurrences
from {{ model }}
group by {{ hackle_partition_date(time_column) }}, {{ column_name }}
having count(*) > 1

{% endtest %}
