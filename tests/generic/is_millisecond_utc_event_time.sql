{#- Fails for every timestamp with digits below the millisecond, before
    `min_event_time`, or later than the run allows (`max_hours_ahead_of_receipt`
    after the run started). -#}
{% test is_millisecond_utc_event_time(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} <> {{ dbt.date_trunc('millisecond', column_name) }}
    or {{ column_name }} < cast('{{ var("min_event_time") }}' as {{ dbt.type_timestamp() }})
    or {{ column_name }} > {{ dbt.dateadd(
        'hour', var('max_hours_ahead_of_receipt'), hackle_run_started_at()
    ) }}

{% endtest %}
