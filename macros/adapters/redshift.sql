{#- Redshift variants of the project's dispatch macros.

    dbt-redshift looks for redshift__, then postgres__, then default__. A macro
    is here when neither the postgres__ variant (macros/adapters/postgres.sql)
    nor default__ runs on Redshift. These run unchanged on Redshift: the number,
    boolean and blank-text rules, whole-value regular expressions (`~` is POSIX
    there too), the metric's decimal types, the double type, Segment's table
    listing, and the incremental strategy `hackle_replace_days` (a delete of the
    rebuilt days, then an insert; dbt-redshift sends the two statements one after
    the other in the model's transaction).

    Maps are SUPER objects: the contract types in models/marts/_marts__models.yml
    declare super for a redshift target, and UNLOAD writes SUPER as JSON text,
    which the exporter parses back into map<string,string>. JSON property columns
    are read as JSON text (varchar), as loaders such as Amplitude's and
    Snowplow's write them; a column that is already SUPER needs json_serialize
    around it first. GA4 exports only to BigQuery: the ga4_ macros use the
    postgres__ variants, which stop a run that enables ga4. -#}


{#- Text: dbt renders its string type as `text`, which Redshift stores as
    varchar(256) and so cuts longer property values. A root project's macro
    takes the place of dbt's own of the same name, so this one applies. -#}

{% macro redshift__type_string() -%}
    varchar(max)
{%- endmacro %}


{#- Maps -#}

{% macro redshift__hackle_map_type() -%}
    super
{%- endmacro %}

{% macro redshift__hackle_map_agg(key, value, order_by) -%}
    {#- Redshift has no object aggregate: the object is written as JSON text,
        each key and value quoted and escaped by json_serialize, and parsed into
        SUPER. listagg holds at most 65535 bytes, so one map of one event can
        hold up to that much JSON. -#}
    json_parse(
        '{' || listagg(
            json_serialize(cast({{ key }} as super)) || ':'
                || json_serialize(cast({{ value }} as super)),
            ','
        ) within group (order by {{ order_by }}) || '}'
    )
{%- endmacro %}

{% macro redshift__hackle_empty_map() -%}
    json_parse('{}')
{%- endmacro %}

{% macro redshift__hackle_map_keys(map) -%}
    {#- SUPER has no function that lists an object's keys outside a FROM clause
        (UNPIVOT lists them there). -#}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            "hackle_map_keys cannot be written as an expression on Redshift; list"
            ~ " the keys with `from relation as r, unpivot r.column as value at key`"
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro redshift__hackle_map_value(map, key) -%}
    {#- SUPER navigation takes the key as an identifier, so `key` must be a
        string literal such as 'osname'. -#}
    {%- set m = modules.re.fullmatch("'([a-z0-9_]+)'", key | trim) -%}
    {%- if not m and execute -%}
        {{ exceptions.raise_compiler_error(
            "hackle_map_value on Redshift needs the key as a lowercase string"
            ~ " literal such as 'osname', not " ~ key
        ) }}
    {%- endif -%}
    cast({{ map }}."{{ m.group(1) if m else key }}" as varchar(max))
{%- endmacro %}

{% macro redshift__hackle_map_entries_join(map, alias) -%}
    {#- Redshift lists an object's entries only with UNPIVOT over a column of an
        alias earlier in the same FROM clause, which a join appended after
        `from <relation>` cannot name. -#}
    {#- dbt renders every test while it parses: stop only a run that uses it. -#}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            "hackle_map_entries_join cannot be written after a bare relation on"
            ~ " Redshift; the test needs the relation aliased, then"
            ~ " `unpivot alias." ~ map ~ " as entry_value at entry_key`"
        ) }}
    {%- endif -%}
{%- endmacro %}


{#- JSON text -#}

{% macro hackle_redshift_json_steps(path) -%}
    {#- A `$.key` / `$[0].key` path as [index, name] pairs, one per step. -#}
    {%- set steps = [] -%}
    {%- for part in path.replace('[', '.[').split('.')[1:] if part -%}
        {%- if part.startswith('[') -%}
            {%- do steps.append([part[1:-1], '']) -%}
        {%- else -%}
            {%- do steps.append(['', part]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(steps) }}
{%- endmacro %}

{% macro hackle_redshift_json_at(json, path) -%}
    {#- The JSON text at `path` in `json`, or null; invalid JSON gives null.
        Array steps use json_extract_array_element_text, object steps
        json_extract_path_text, both with null_if_invalid. -#}
    {#- A namespace, because a plain set inside a loop does not outlive it. -#}
    {%- set at = namespace(expression=json) -%}
    {%- for index, name in hackle_redshift_json_steps(path) -%}
        {%- if index -%}
            {%- set at.expression = 'json_extract_array_element_text('
                ~ at.expression ~ ', ' ~ index ~ ', true)' -%}
        {%- else -%}
            {%- set at.expression = "json_extract_path_text(" ~ at.expression
                ~ ", '" ~ name ~ "', true)" -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(at.expression) }}
{%- endmacro %}

{% macro redshift__hackle_json_text(json, path) -%}
    {#- Both extract functions return strings without their quotes and nested
        values as JSON text. -#}
    {{ hackle_redshift_json_at(json, path) }}
{%- endmacro %}

{% macro redshift__hackle_json_is_object(json, path) -%}
    {#- is_valid_json accepts text that is well-formed JSON without failing; an
        object is the JSON whose text starts with `{`. Nested cases, because
        Redshift may evaluate either side of `and` first. -#}
    {%- set at = hackle_redshift_json_at(json, path) -%}
    coalesce(
        case
            when is_valid_json({{ at }}) then left(btrim({{ at }}), 1) = '{'
        end,
        false
    )
{%- endmacro %}

{% macro redshift__hackle_json_entries_join(json, path, alias) -%}
    {#- Redshift has no lateral join; UNPIVOT lists an object's entries, but
        only over a column of an alias earlier in the same FROM clause. So the
        entries are built in a subquery over the same relation and joined back
        on event_row_id: `json` must be `<relation>.<column>` of a relation that
        has event_row_id, as in every staging model. Numbers go through the same
        canonical text as typed columns. -#}
    {%- set parts = json.split('.') -%}
    {%- if parts | length != 2 and execute -%}
        {{ exceptions.raise_compiler_error(
            "hackle_json_entries_join on Redshift needs the JSON column as"
            ~ " <relation>.<column>, not " ~ json
        ) }}
    {%- endif -%}
    {%- set relation = parts[0] -%}
    inner join (
        select
            {{ alias }}_source.event_row_id,
            cast({{ alias }}_key as varchar(max)) as entry_key,
            case json_typeof({{ alias }}_value)
                when 'string' then cast({{ alias }}_value as varchar(max))
                when 'number' then {{ hackle_number_text(
                    'cast(' ~ alias ~ '_value as double precision)'
                ) }}
                else json_serialize({{ alias }}_value)
            end as entry_text,
            json_typeof({{ alias }}_value) = 'null' as entry_is_null
        from (
            select
                {{ relation }}.event_row_id,
                json_parse({{ hackle_redshift_json_at(json, path) }}) as document
            from {{ relation }}
            where {{ hackle_json_is_object(json, path) }}
        ) as {{ alias }}_source,
            unpivot {{ alias }}_source.document as {{ alias }}_value at {{ alias }}_key
    ) as {{ alias }}
        on {{ alias }}.event_row_id = {{ relation }}.event_row_id
{%- endmacro %}


{#- Regular expressions -#}

{% macro redshift__hackle_regexp_extract(value, pattern) -%}
    {#- Redshift's substring takes positions, not a pattern; regexp_substr with
        `e` returns the first capture group, `i` ignores case. -#}
    nullif(regexp_substr({{ value }}, '{{ pattern }}', 1, 1, 'ie'), '')
{%- endmacro %}


{#- Time zones: Redshift has convert_timezone (the default__ variants), which
    PostgreSQL lacks. -#}

{% macro redshift__hackle_utc_to_local(ts, tz) -%}
    {{ default__hackle_utc_to_local(ts, tz) }}
{%- endmacro %}

{% macro redshift__hackle_local_to_utc(ts, tz) -%}
    {{ default__hackle_local_to_utc(ts, tz) }}
{%- endmacro %}

{% macro redshift__hackle_zoned_to_utc(ts) -%}
    {{ default__hackle_zoned_to_utc(ts) }}
{%- endmacro %}


{#- The metric -#}

{% macro redshift__hackle_decimal_from_text(text, decimal_type) -%}
    {#- Redshift has no try_cast and no unbounded numeric, and its cast from text
        to decimal takes no exponent. Plain decimals are read exactly: the
        integer digits (at most 20) and the first 18 fraction digits, rewritten
        as `[-]I.FFFFFFFFFFFFFFFFFF`; cutting the fraction there never changes
        the rounding to six places. Exponent notation (the shortest text of very
        small or large doubles) is read through double precision, exact to a
        double's 17 digits. -#}
    case
        when {{ text }} ~ '^[+-]?0*([0-9]{1,20}[.]?[0-9]*|[.][0-9]+)$'
            then cast(
                case when left({{ text }}, 1) = '-' then '-' else '' end
                || coalesce(
                    nullif(ltrim(ltrim(split_part({{ text }}, '.', 1), '+-'), '0'), ''),
                    '0'
                )
                || '.'
                || left(split_part({{ text }}, '.', 2) || '000000000000000000', 18)
                as {{ decimal_type }}
            )
        when {{ text }} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)[eE][+-]?[0-9]{1,2}$'
            then case
                when abs(cast({{ text }} as double precision)) < 1e20
                    then cast(cast({{ text }} as double precision) as {{ decimal_type }})
            end
    end
{%- endmacro %}
