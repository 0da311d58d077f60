{#- Read by the staging property models when they are queried, and by the models
    that keep rows between runs (macros/incremental/reread_window.sql), so that
    all of them agree on what the run re-reads, even in a later run that selects
    only some of them. -#}

with

-- the UTC instant from which this run re-reads source rows (null: every row)
final as (
    select {{ hackle_reread_start_sql() }} as reread_start
)

select * from final
