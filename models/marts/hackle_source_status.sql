{#- Built last, so that a day only becomes ready for the exporter once every
    mart of the run has been built. -#}
-- depends_on: {{ ref('hackle_daily_summary') }}
{{ config(materialized='table') }}

with

-- how far each source kind is complete (stg_<kind>__completeness)
per_source as (
    {{ hackle_union_staged('completeness', ['source_kind', 'complete_until']) }}
),

-- the export waits for the slowest source; a source that cannot say (no rows
-- yet) holds every day back, unless the user declared an end
final as (
    select
        cast('{{ var("partition_timezone") }}' as {{ dbt.type_string() }})
            as partition_timezone,
        {%- if var('sources_complete_until') %}
        cast('{{ var("sources_complete_until") }}' as {{ dbt.type_timestamp() }})
        {%- else %}
        (
            select
                case
                    when count(complete_until) = count(*) then min(complete_until)
                end
            from per_source
        )
        {%- endif %} as source_complete_until
)

select * from final
