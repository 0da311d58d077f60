{#- Read when they run by the staging property models, int_events__mapped and the
    models that keep rows between runs (macros/incremental/reread_window.sql), so
    that all of them agree on what the run re-reads; built only together with the
    views among them. -#}
{{ hackle_check_reread_views_selected() }}

with

-- the UTC instant from which this run re-reads source rows (null: every row)
final as (
    select {{ hackle_reread_start_sql() }} as reread_start
)

select * from final
