{#- Checked at the start of every run (on-run-start), so a wrong setting stops the
    run with one sentence instead of failing deep inside a model. -#}

{% macro hackle_validate_vars() %}
    {%- set known_sources = ['snowplow', 'generic'] -%}
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

    {%- set tz = var('partition_timezone') -%}
    {%- if tz is not string or not modules.re.fullmatch('[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*', tz) -%}
        {%- do problems.append(
            "partition_timezone must be an IANA time zone name such as 'UTC' or"
            ~ " 'Asia/Seoul'"
        ) -%}
    {%- elif tz != 'UTC' and modules.pytz is defined and tz not in modules.pytz.all_timezones -%}
        {%- do problems.append("partition_timezone '" ~ tz ~ "' is not a known IANA time zone") -%}
    {%- endif -%}

    {%- set accepted = var('accepted_os_names') -%}
    {%- if accepted is string or accepted | length == 0 -%}
        {%- do problems.append("accepted_os_names must be a non-empty list, e.g. ['Android', 'iOS']") -%}
    {%- endif -%}

    {%- for name in ['min_event_time', 'sources_complete_until'] -%}
        {%- set value = var(name) -%}
        {%- if value is not none and not modules.re.fullmatch(
                '\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d+)?)?)?', value | string) -%}
            {%- do problems.append(name ~ " must be a UTC time written 'YYYY-MM-DD HH:MM:SS'") -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if 'generic' in sources -%}
        {%- set columns = var('generic_columns') -%}
        {%- for required in ['event_time', 'event_name', 'id', 'device_id', 'osname', 'version'] -%}
            {%- if not columns.get(required) -%}
                {%- do problems.append(
                    "generic_columns." ~ required ~ " must name a column of the generic table"
                ) -%}
            {%- endif -%}
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
