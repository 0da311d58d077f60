{#- What an incremental run reads from the sources. int_events__validated and
    int_properties__keyed keep every source row between runs, so that the marts
    rebuild their days (day_window.sql) from those tables rather than from the
    whole history. An incremental run re-reads only the source rows received
    since the re-read start, and rows with no receipt time at all; the model
    stg_reread_window holds that instant, and every model that filters by it
    reads it from there, so that all of them agree even in a later run that
    builds only some of them. Both tables replace whole every day that a re-read
    row falls on (the `hackle_replace_reread` strategy; insert_overwrite of those
    day partitions on BigQuery). -#}

{% macro hackle_built_relation(name) -%}
    {#- The warehouse relation of one of this project's models as it stands now,
        or none when it has not been built. -#}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == 'hackle_export'
            and node.name == name -%}
        {{ return(adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        )) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{% macro hackle_reread_start_day() -%}
    {#- The first partition day whose rows this run re-reads, as YYYY-MM-DD, or
        none to read every source row: on a full refresh, and while the tables
        that keep rows between runs, or the summary, are not built yet. It is the
        earliest of their newest days, less `lookback_days`, so that a model that
        failed in an earlier run re-reads everything it has not seen since. -#}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set newest_days = [] -%}
    {%- for name in [
        'int_events__validated', 'int_properties__keyed', 'hackle_daily_summary'
    ] -%}
        {%- set relation = hackle_built_relation(name) -%}
        {%- if relation is none or not relation.is_table -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set newest = run_query(
            'select max(dt) from ' ~ relation
        ).columns[0].values()[0] -%}
        {%- if newest is none -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do newest_days.append(newest) -%}
    {%- endfor -%}
    {%- set first_day = (newest_days | min)
        - modules.datetime.timedelta(days=var('lookback_days')) -%}
    {{ return(first_day.strftime('%Y-%m-%d')) }}
{%- endmacro %}


{% macro hackle_reread_start_sql() -%}
    {#- The re-read start as a UTC timestamp expression (null: every row). -#}
    {%- set first_day = hackle_reread_start_day() -%}
    {%- if first_day is none -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ hackle_partition_day_start("cast('" ~ first_day ~ "' as date)") }}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_reread_start_value() -%}
    {#- The re-read start that stg_reread_window holds now, for a model that reads
        it when it runs; none when it holds none or is not built (`dbt compile`). -#}
    {%- set window = ref('stg_reread_window') -%}
    {%- if not execute or hackle_built_relation('stg_reread_window') is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query(
        'select reread_start from ' ~ window
    ).columns[0].values()[0]) }}
{%- endmacro %}


{% macro hackle_reads_reread_window() -%}
    {#- For a model that keeps rows between runs: declares that it reads
        stg_reread_window, for dbt's order of models, and checks a build of it
        whole (hackle_check_full_build_reads_everything). Left out of unit tests,
        whose given rows stand in for every input. -#}
    {%- if model.resource_type != 'unit_test' -%}
        -- depends_on: {{ ref('stg_reread_window') }}
        {%- if not is_incremental() -%}
            {{ hackle_check_full_build_reads_everything() }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_is_reread(received_at) -%}
    {#- True for a row that this run re-reads: received since the re-read start, or
        without a receipt time. The start is written into the model's SQL as a
        literal, which lets the database filter the source rows before any other
        work; a view keeps it until it is built again, which is why
        stg_reread_window is only built together with the views that read it.
        Always true in unit tests. -#}
    {%- if model.resource_type == 'unit_test' -%}
        true
    {%- else -%}
        {%- set start = hackle_reread_start_value() -%}
        {%- if start is none -%}
            true
        {%- else -%}
            coalesce(
                {{ received_at }} >= cast(
                    '{{ start.strftime("%Y-%m-%d %H:%M:%S") }}'
                    as {{ dbt.type_timestamp() }}
                ),
                true
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_check_reread_views_selected() -%}
    {#- stg_reread_window may only change together with the views that copy its
        value into their SQL: a view left out of the run would keep reading the
        rows of an earlier start. -#}
    {%- if execute and model.unique_id in selected_resources -%}
        {%- set missing = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.enabled
                and node.config.materialized == 'view'
                and model.unique_id in node.depends_on.nodes
                and node.unique_id not in selected_resources -%}
            {%- do missing.append(node.name) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "stg_reread_window is built without the views that read it ("
                ~ missing | join(', ') ~ "); select them too, for example with"
                ~ " --select stg_reread_window+"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_reread_strategy() -%}
    {{ return(adapter.dispatch('hackle_reread_strategy', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_reread_strategy() -%}
    {{ return('hackle_replace_reread') }}
{%- endmacro %}


{% macro hackle_check_full_build_reads_everything() -%}
    {#- A model that keeps rows between runs and is built whole must see every
        source row; it cannot when stg_reread_window still holds the start of an
        earlier incremental run (the model was selected without it). -#}
    {%- set start = hackle_reread_start_value() -%}
    {%- if start is not none -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " is being built whole, but the staging models read only"
            ~ " the rows received since " ~ start ~ ". Build it together with"
            ~ " stg_reread_window: dbt build --full-refresh --select"
            ~ " stg_reread_window+"
        ) }}
    {%- endif -%}
{%- endmacro %}


{% macro get_incremental_hackle_replace_reread_sql(arg_dict) -%}
    {#- Replaces every day the new rows fall on, and every row received since the
        re-read start (so that a re-read row withdrawn from the source since does
        not survive). -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    where dt in (select distinct dt from {{ temp }})
        or {{ hackle_is_reread('received_at') }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{%- endmacro %}
