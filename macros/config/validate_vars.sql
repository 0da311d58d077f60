{#- Checked at the start of every run (on-run-start), so a wrong setting stops the
    run with one sentence instead of failing deep inside a model. -#}

{% macro hackle_validate_vars() %}
    {%- set known_sources = ['snowplow', 'generic', 'ga4', 'segment', 'amplitude'] -%}
    {%- set problems = [] -%}

    {%- set sources = var('sources') -%}
    {%- if sources is string or sources | length == 0 -%}
        {%- do problems.append("sources must be a non-empty list, e.g. ['snowplow']") -%}
    {%- else -%}
        {%- for source in sources if source not in known_sources -%}
            {%- do problems.append(
                "sources names '" ~ source ~ "', which is not a known source kind ("
                ~ known_sources | join(', ') ~ ")"
            ) -%}
        {%- endfor -%}
    {%- endif -%}

    {%- set lookback = var('lookback_days') -%}
    {%- if lookback is not number or lookback < 0 or lookback != lookback | int -%}
        {%- do problems.append("lookback_days must be a whole number of days, 0 or more") -%}
    {%- endif -%}

    {%- set hours = var('max_hours_ahead_of_receipt') -%}
    {%- if hours is not number or hours < 0 -%}
        {%- do problems.append("max_hours_ahead_of_receipt must be a number of hours, 0 or more") -%}
    {%- endif -%}

    {%- for name in ['partition_timezone', 'generic_source_timezone'] -%}
        {%- set problem = hackle_timezone_problem(name, var(name)) -%}
        {%- if problem %}{% do problems.append(problem) %}{% endif -%}
    {%- endfor -%}

    {%- if var('future_timestamp_action') not in ['reject', 'use_received_at'] -%}
        {%- do problems.append(
            "future_timestamp_action must be 'reject' or 'use_received_at'"
        ) -%}
    {%- endif -%}

    {%- if var('export_unmapped_events') not in [true, false] -%}
        {%- do problems.append("export_unmapped_events must be true or false") -%}
    {%- endif -%}

    {%- set accepted = var('accepted_os_names') -%}
    {%- if accepted is string or accepted | length == 0 -%}
        {%- do problems.append("accepted_os_names must be a non-empty list, e.g. ['Android', 'iOS']") -%}
    {%- endif -%}

    {%- for name in ['min_event_time', 'sources_complete_until'] -%}
        {%- set value = var(name) -%}
        {%- if value is not none and not hackle_is_valid_time(value | string) -%}
            {%- do problems.append(
                name ~ " is '" ~ value ~ "', which is not a UTC time written"
                ~ " 'YYYY-MM-DD HH:MM:SS'"
            ) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if sources is not string -%}
        {%- for kind in sources if kind in known_sources -%}
            {%- do problems.extend(hackle_source_table_problems(kind)) -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "hackle_export vars are not valid: " ~ problems | join('; ')
            ~ ". Fix them under vars: hackle_export: in dbt_project.yml (or --vars)."
        ) }}
    {%- endif -%}
    {{ return('select 1') }}
{% endmacro %}


{% macro hackle_source_enabled(kind) -%}
    {{ return(kind in var('sources')) }}
{%- endmacro %}


{% macro hackle_timezone_problem(name, tz) -%}
    {#- A sentence about what is wrong with a time zone var, or ''. -#}
    {%- if tz is not string or not modules.re.fullmatch('[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*', tz) -%}
        {{ return(name ~ " must be an IANA time zone name such as 'UTC' or 'Asia/Seoul'") }}
    {%- elif tz != 'UTC' and tz not in modules.pytz.all_timezones -%}
        {{ return(name ~ " '" ~ tz ~ "' is not a known IANA time zone") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{% macro hackle_is_valid_time(text) -%}
    {#- True for 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]' naming a real calendar instant. -#}
    {%- set m = modules.re.fullmatch(
        '(\d{4})-(\d{2})-(\d{2})( (\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?)?', text) -%}
    {%- if not m -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set year, month, day = m.group(1) | int, m.group(2) | int, m.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if m.group(4) and ((m.group(5) | int) > 23 or (m.group(6) | int) > 59
            or (m.group(8) or '0') | int > 59) -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}


{% macro hackle_source_table_problems(kind) -%}
    {#- Sentences about a source kind's tables, from the kind's own check in
        macros/sources/<kind>.sql. Empty at parse time, when nothing can be looked
        up. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- elif kind == 'snowplow' -%}
        {{ return(snowplow_source_problems()) }}
    {%- elif kind == 'generic' -%}
        {{ return(generic_source_problems()) }}
    {%- elif kind == 'ga4' -%}
        {{ return(ga4_source_problems()) }}
    {%- elif kind == 'segment' -%}
        {{ return(segment_source_problems()) }}
    {%- elif kind == 'amplitude' -%}
        {{ return(amplitude_source_problems()) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}


{% macro hackle_table_problems(kind, relation, table_settings, named_columns) -%}
    {#- Sentences about one source table: that `relation` exists, and has every
        column in `named_columns`, a list of [the setting that names it, column].
        `table_settings` names the vars that say where the table is. -#}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if found is none -%}
        {{ return([
            "the " ~ kind ~ " source table " ~ relation ~ " does not exist; set "
            ~ table_settings | join(' and ') ~ " to your table, or remove " ~ kind
            ~ " from sources"
        ]) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
    {%- set problems = [] -%}
    {%- for setting, column in named_columns if column | lower not in present -%}
        {%- do problems.append(
            setting ~ " names the column '" ~ column ~ "', which " ~ found ~ " does not have"
        ) -%}
    {%- endfor -%}
    {{ return(problems) }}
{%- endmacro %}
