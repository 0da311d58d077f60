{#- Built last, so that a day only becomes ready for the exporter once every
    mart of the run has been built. -#}
-- depends_on: {{ ref('hackle_daily_summary') }}
{{ config(materialized='table') }}

with

events as (
    select * from {{ ref('int_events__unioned') }}
),

-- each source kind is complete up to the newest event it has received
per_source as (
    select
        source_kind,
        max(received_at) as newest_received_at
    from events
    group by source_kind
),

-- the export waits for the slowest source, unless the user declared an end
final as (
    select
        cast('{{ var("partition_timezone") }}' as {{ dbt.type_string() }}) as partition_timezone,
        {%- if var('sources_complete_until') %}
        cast('{{ var("sources_complete_until") }}' as {{ dbt.type_timestamp() }})
        {%- else %}
        (select min(newest_received_at) from per_source)
        {%- endif %} as source_complete_until
)

select * from final
