{{ config(enabled=hackle_source_enabled('ga4')) }}

{#- Which tables are read is decided in ga4_shards (macros/sources/ga4.sql): the
    daily table of each date, and the intraday table of a date without one when
    ga4_use_intraday is set. The view is rewritten on every run, so new shards are
    picked up and a removed intraday table is let go. -#}
{%- set shards = ga4_shards() -%}
{%- if execute and not shards -%}
    {{ exceptions.raise_compiler_error(
        "the ga4 dataset " ~ ga4_dataset_relation() ~ " has no table to read;"
        ~ " see the message of the run's start check"
    ) }}
{%- endif %}

with

-- every row of every shard read, with the table it came from
shard_rows as (
    {%- if shards %}
    {{ ga4_union_shards(shards) }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as shard_table,
        false as shard_is_intraday
    where 1 = 0
    {%- endif %}
)

select * from shard_rows
