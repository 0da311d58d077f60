{#- Built after the two models it counts, so that a run in which either fails
    leaves the summary of the previous run in place rather than one that
    disagrees with them. -#}
-- depends_on: {{ ref('hackle_events') }}
-- depends_on: {{ ref('hackle_events_rejected') }}
{{ config(
    materialized='incremental',
    incremental_strategy=hackle_incremental_strategy(),
    partition_by=hackle_partition_by('dt'),
    hackle_window_column='dt',
    on_schema_change='fail'
) }}

with

source_rows as (
    select * from {{ ref('int_events__validated') }}
    {%- if is_incremental() %}
    where {{ hackle_window_filter('dt', this) }}
    {%- endif %}
),

-- entries dropped because another key of the same event lowercases the same,
-- and entries the property filters withhold
dropped_entries as (
    select
        source_rows.dt,
        sum(case when keyed.key_rank > 1 then 1 else 0 end) as key_collisions,
        sum(case when keyed.is_withheld then 1 else 0 end) as withheld_properties
    from {{ ref('int_properties__keyed') }} as keyed
    inner join source_rows
        on keyed.event_row_id = source_rows.event_row_id
        and source_rows.row_status = 'exported'
    where keyed.key_rank > 1 or keyed.is_withheld
    group by source_rows.dt
),

-- every source row of the day lands in exactly one of the three outcomes
outcomes as (
    select
        dt,
        count(*) as source_rows,
        sum(case when row_status = 'exported' then 1 else 0 end) as exported_rows,
        sum(case when row_status = 'rejected' then 1 else 0 end) as rejected_rows,
        sum(case when row_status = 'duplicate' then 1 else 0 end) as duplicates_removed
    from source_rows
    group by dt
),

final as (
    select
        outcomes.dt,
        cast(outcomes.source_rows as {{ dbt.type_bigint() }}) as source_rows,
        cast(outcomes.exported_rows as {{ dbt.type_bigint() }}) as exported_rows,
        cast(outcomes.rejected_rows as {{ dbt.type_bigint() }}) as rejected_rows,
        cast(outcomes.duplicates_removed as {{ dbt.type_bigint() }})
            as duplicates_removed,
        cast(coalesce(dropped_entries.key_collisions, 0) as {{ dbt.type_bigint() }})
            as key_collisions,
        cast(
            coalesce(dropped_entries.withheld_properties, 0) as {{ dbt.type_bigint() }}
        ) as withheld_properties
    from outcomes
    left join dropped_entries
        on outcomes.dt = dropped_entries.dt
)

select * from final
