{#- Segment and RudderStack load a source into one warehouse schema: `tracks` (one
    row per track call: the standard fields and the flattened `context_*` fields),
    one table per event named by the event's slug (the same columns plus the
    event's properties as typed columns), and `identifies` (user traits as typed
    columns). These macros find those tables and sort their columns. -#}

{% macro segment_relation(table_var) -%}
    {#- A table of the Segment schema, named by the var `table_var`, as a relation
        to inspect for columns (source() names a fixture inside unit tests). -#}
    {{ return(api.Relation.create(
        database=var('segment_database') or target.database,
        schema=var('segment_schema'),
        identifier=var(table_var)
    )) }}
{%- endmacro %}


{% macro segment_columns(relation) -%}
    {#- [lowercased name, data type] of each column of `relation`; empty at parse
        time or when the table does not exist. -#}
    {%- set found = [] -%}
    {%- if execute and relation.identifier -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do found.append([column.name | lower, column.dtype]) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}


{% macro segment_is_standard_column(name) -%}
    {#- True for the fields Segment and RudderStack write on every row of tracks,
        the per-event tables and identifies; the other columns are the event's
        properties or the user's traits. -#}
    {{ return(name.startswith('context_') or name in [
        'id', 'anonymous_id', 'user_id', 'event', 'event_text', 'timestamp',
        'original_timestamp', 'sent_at', 'received_at', 'uuid', 'uuid_ts',
        'loaded_at', 'channel'
    ]) }}
{%- endmacro %}


{% macro segment_property_columns(relation) -%}
    {#- [name, data type] of the columns of a per-event or identifies table that
        hold the event's properties or the user's traits. -#}
    {%- set found = [] -%}
    {%- for name, data_type in segment_columns(relation)
            if not segment_is_standard_column(name) -%}
        {%- do found.append([name, data_type]) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{% macro segment_platform_columns(relation) -%}
    {#- [property key, column, data type] of the context fields of tracks that
        become platform properties, keyed without the `context_` prefix. Left out:
        the OS and app version (added centrally as osname, osversion, version,
        appversion), the device and session ids (identifiers), IP addresses and
        the user traits copied into the context (personal data). -#}
    {%- set left_out = [
        'context_os_name', 'context_os_version', 'context_app_version',
        'context_device_id', 'context_session_id', 'context_device_advertising_id',
        'context_device_token'
    ] -%}
    {%- set found = [] -%}
    {%- for name, data_type in segment_columns(relation) -%}
        {%- if name.startswith('context_') and name not in left_out
                and not name.startswith('context_traits_')
                and not modules.re.search('(^|_)ip$', name) -%}
            {%- do found.append([name[8:], name, data_type]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{% macro segment_column_or_null(columns, name) -%}
    {#- The quoted column `name` when `columns` (from segment_columns) has it, else
        a null text: for the fields that some sources do not send. -#}
    {%- if name in columns | map(attribute=0) | list -%}
        {{ return(adapter.quote(name)) }}
    {%- endif -%}
    {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
{%- endmacro %}


{% macro segment_event_tables() -%}
    {#- The per-event tables: every table of the Segment schema but the standard
        ones (and those in segment_ignored_tables) that has an `id` column. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set not_events = [
        'tracks', 'identifies', 'users', 'pages', 'screens', 'groups', 'aliases',
        var('segment_tracks_table') | lower,
        (var('segment_identifies_table') or '') | lower
    ] + var('segment_ignored_tables') | map('lower') | list -%}
    {%- set database = var('segment_database') or target.database -%}
    {%- set found = [] -%}
    {%- for name in segment_table_names(database, var('segment_schema')) | sort
            if name | lower not in not_events -%}
        {%- set relation = api.Relation.create(
            database=database, schema=var('segment_schema'), identifier=name
        ) -%}
        {%- if 'id' in segment_columns(relation) | map(attribute=0) | list -%}
            {%- do found.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{% macro segment_table_names(database, schema) -%}
    {#- The names of the tables and views in `schema`. -#}
    {{ return(adapter.dispatch('segment_table_names', 'hackle_export')(
        database, schema
    )) }}
{%- endmacro %}

{% macro default__segment_table_names(database, schema) -%}
    {%- set query -%}
        select table_name
        from information_schema.tables
        where table_catalog = '{{ database }}'
            and table_schema = '{{ schema }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{% macro duckdb__segment_table_names(database, schema) -%}
    {#- DuckDB matches names without regard to case, and its information_schema
        spells them as they were created. -#}
    {%- set query -%}
        select table_name
        from information_schema.tables
        where lower(table_catalog) = lower('{{ database }}')
            and lower(table_schema) = lower('{{ schema }}')
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{% macro segment_source_problems() -%}
    {#- tracks and identifies exist and have the standard columns the models read;
        the source time zone is a known zone. -#}
    {%- set problems = [] -%}
    {%- set problem = hackle_timezone_problem(
        'segment_source_timezone', var('segment_source_timezone')
    ) -%}
    {%- if problem %}{% do problems.append(problem) %}{% endif -%}

    {%- set tracks_columns = [] -%}
    {%- for column in [
        'id', 'anonymous_id', 'user_id', 'event', 'timestamp', 'received_at',
        'context_os_name'
    ] -%}
        {%- do tracks_columns.append(['the Segment tracks schema', column]) -%}
    {%- endfor -%}
    {%- for column in var('segment_version_columns') -%}
        {%- do tracks_columns.append(['segment_version_columns', column]) -%}
    {%- endfor -%}
    {%- do problems.extend(hackle_table_problems(
        'segment', segment_relation('segment_tracks_table'),
        ['segment_schema', 'segment_tracks_table'], tracks_columns
    )) -%}

    {%- if var('segment_identifies_table') -%}
        {%- set identifies_columns = [] -%}
        {%- for column in [
            'id', 'anonymous_id', 'user_id', 'timestamp', 'received_at'
        ] -%}
            {%- do identifies_columns.append(
                ['the Segment identifies schema', column]
            ) -%}
        {%- endfor -%}
        {%- do problems.extend(hackle_table_problems(
            'segment', segment_relation('segment_identifies_table'),
            ['segment_schema', 'segment_identifies_table (null for none)'],
            identifies_columns
        )) -%}
    {%- endif -%}
    {{ return(problems) }}
{%- endmacro %}
