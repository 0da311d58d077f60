{#- PostgreSQL variants of the project's dispatch macros.

    PostgreSQL is not a target users export from; it is the closest real database
    to Redshift that runs on a developer's machine, so the project's tests build
    the whole project on it. dbt-redshift looks for redshift__, then postgres__,
    then default__: every macro defined here that Redshift cannot run has a
    redshift__ variant in macros/adapters/redshift.sql.

    Macros whose default__ already runs on PostgreSQL (number and boolean text,
    regular expressions, blank text, the metric's decimal types, the double type,
    the incremental strategy, Segment's table listing) have no variant here.
    Maps are jsonb objects: the contract types in models/marts/_marts__models.yml
    declare jsonb for a postgres target. -#}


{#- Text: dbt renders its string type as `text`, but the contract declares
    `varchar` (character varying), and an incremental run with
    on_schema_change='fail' refuses a model whose text columns changed type. In
    PostgreSQL varchar without a length is as long as text. A root project's
    macro takes the place of dbt's own of the same name. -#}

{% macro postgres__type_string() -%}
    varchar
{%- endmacro %}


{#- Maps -#}

{% macro postgres__hackle_map_type() -%}
    {#- jsonb: objects with unique keys, compared by value, with ->> lookups. -#}
    jsonb
{%- endmacro %}

{% macro postgres__hackle_map_agg(key, value, order_by) -%}
    {#- jsonb keeps its own key order, so order_by only makes the aggregation
        deterministic when a key repeats (the last one wins). -#}
    jsonb_object_agg({{ key }}, {{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro postgres__hackle_empty_map() -%}
    cast('{}' as jsonb)
{%- endmacro %}

{% macro postgres__hackle_map_keys(map) -%}
    array(select jsonb_object_keys({{ map }}))
{%- endmacro %}

{% macro postgres__hackle_map_value(map, key) -%}
    ({{ map }} ->> {{ key }})
{%- endmacro %}

{% macro postgres__hackle_map_entries_join(map, alias) -%}
    cross join lateral (
        select map_entry.key as entry_key, map_entry.value as entry_value
        from jsonb_each_text({{ map }}) as map_entry
    ) as {{ alias }}
{%- endmacro %}


{#- JSON text -#}

{% macro hackle_postgres_json_path(path) -%}
    {#- A `$.key` / `$[0].key` path as the text[] elements jsonb paths take. -#}
    {%- set elements = [] -%}
    {%- for part in path.replace('[', '.[').split('.')[1:] if part -%}
        {%- do elements.append("'" ~ part.strip('[]') ~ "'") -%}
    {%- endfor -%}
    {{ return(elements) }}
{%- endmacro %}

{% macro postgres__hackle_json_text(json, path) -%}
    {#- PostgreSQL has no JSONPath-on-text function that yields unquoted text;
        jsonb_extract_path_text does, given the path as separate elements. -#}
    {%- set elements = hackle_postgres_json_path(path) -%}
    {%- if elements -%}
        jsonb_extract_path_text(cast({{ json }} as jsonb), {{ elements | join(', ') }})
    {%- else -%}
        (cast({{ json }} as jsonb) #>> '{}')
    {%- endif -%}
{%- endmacro %}

{% macro postgres__hackle_json_is_object(json, path) -%}
    {#- PostgreSQL 15 has no non-failing JSON check (IS JSON arrives in 16), so
        text is cast only when it has the outline of an object (or of an array
        starting with one, for `$[0]`). Text with that outline that is still not
        JSON, such as `{a: 1}`, stops the run with PostgreSQL's error. -#}
    {%- set elements = hackle_postgres_json_path(path) -%}
    {%- set outline = '^\\s*\\[\\s*\\{.*\\}\\s*\\]\\s*$' if elements
        else '^\\s*\\{.*\\}\\s*$' -%}
    coalesce(
        case
            when cast({{ json }} as {{ dbt.type_string() }}) ~ '{{ outline }}'
                then jsonb_typeof(
                    cast({{ json }} as jsonb)
                    {%- if elements %} #> array[{{ elements | join(', ') }}]{% endif %}
                ) = 'object'
        end,
        false
    )
{%- endmacro %}

{% macro postgres__hackle_json_entries_join(json, path, alias) -%}
    {#- jsonb_each types each value; numbers go through the same canonical text
        as typed columns, so that 3, 3.0 and "3" agree as on DuckDB. -#}
    {%- set elements = hackle_postgres_json_path(path) -%}
    cross join lateral (
        select
            json_entry.key as entry_key,
            case jsonb_typeof(json_entry.value)
                when 'string' then json_entry.value #>> '{}'
                when 'number' then {{ hackle_number_text(
                    "cast(json_entry.value #>> '{}' as double precision)"
                ) }}
                else json_entry.value #>> '{}'
            end as entry_text,
            jsonb_typeof(json_entry.value) = 'null' as entry_is_null
        from jsonb_each(
            case when {{ hackle_json_is_object(json, path) }}
                then cast({{ json }} as jsonb)
                {%- if elements %} #> array[{{ elements | join(', ') }}]{% endif %}
            end
        ) as json_entry
    ) as {{ alias }}
{%- endmacro %}


{#- Time zones: PostgreSQL has no convert_timezone; `at time zone` reads a
    timestamp without zone in the named zone, and gives the wall clock there for
    one with a zone. Neither step looks at the session's TimeZone. -#}

{% macro postgres__hackle_utc_to_local(ts, tz) -%}
    (({{ ts }}) at time zone 'UTC' at time zone '{{ tz }}')
{%- endmacro %}

{% macro postgres__hackle_local_to_utc(ts, tz) -%}
    (({{ ts }}) at time zone '{{ tz }}' at time zone 'UTC')
{%- endmacro %}

{% macro postgres__hackle_zoned_to_utc(ts) -%}
    (({{ ts }}) at time zone 'UTC')
{%- endmacro %}


{#- The metric -#}

{% macro postgres__hackle_decimal_from_text(text, decimal_type) -%}
    {#- Without a non-failing cast, read only plain decimal and exponent notation,
        through PostgreSQL's unbounded numeric (exact, exponents included), and
        only when it fits the type's 20 digits before the point. -#}
    {#- Nested cases, because PostgreSQL may evaluate either side of `and`
        first. -#}
    case
        when {{ text }} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,4})?$'
            then case
                when abs(cast({{ text }} as numeric)) < 1e20
                    then cast(cast({{ text }} as numeric) as {{ decimal_type }})
            end
    end
{%- endmacro %}


{#- GA4 exports only to BigQuery, so neither PostgreSQL nor Redshift reads it.
    dbt renders every model while it parses, the disabled GA4 models included,
    so these stop a run only when a GA4 model is really built (ga4 in sources),
    instead of stopping every parse as the default__ variants do. -#}

{% macro hackle_ga4_not_here() -%}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            "the ga4 source kind reads a BigQuery export and cannot run on "
            ~ adapter.type() ~ "; remove ga4 from the sources var"
        ) }}
    {%- endif -%}
    null
{%- endmacro %}

{% macro postgres__ga4_micros_to_timestamp(micros) -%}
    {{ hackle_ga4_not_here() }}
{%- endmacro %}

{% macro postgres__ga4_nested_text(value) -%}
    {{ hackle_ga4_not_here() }}
{%- endmacro %}

{% macro postgres__ga4_unnest_join(list, alias) -%}
    cross join (select {{ hackle_ga4_not_here() }} as {{ alias }}) as {{ alias }}_none
{%- endmacro %}

{% macro postgres__ga4_param_value(list, key) -%}
    {{ hackle_ga4_not_here() }}
{%- endmacro %}
