{{ config(enabled=hackle_source_enabled('segment')) }}
{% if var('segment_identifies_table') -%}
-- depends_on: {{ source('segment', 'identifies') }}
{% endif -%}

{#- the real identifies table, for column discovery only -#}
{%- set identifies = segment_relation('segment_identifies_table') -%}
{%- set traits = segment_property_columns(identifies)
    if var('segment_identifies_table') else [] -%}
{%- set source_tz = var('segment_source_timezone') -%}

with

{% if traits -%}
identifies as (
    select * from {{ source('segment', 'identifies') }}
),

-- each identify call, its traits as text (event_row_id here identifies the
-- identify row, as hackle_unpivot_properties expects)
identify_rows as (
    select
        {{ hackle_hash([
            'cast(' ~ adapter.quote('id') ~ ' as ' ~ dbt.type_string() ~ ')',
            'received_at', adapter.quote('timestamp'), 'user_id', 'anonymous_id'
        ]) }} as event_row_id,
        {{ hackle_first_present(['user_id']) }} as user_id,
        {{ hackle_first_present(['anonymous_id']) }} as anonymous_id,
        {{ hackle_to_utc_timestamp(identifies, 'timestamp', source_tz) }}
            as identified_at,
        {{ hackle_to_utc_timestamp(identifies, 'received_at', source_tz) }}
            as received_at
        {%- for name, data_type in traits %},
        {{ hackle_value_text(adapter.quote(name), data_type) }}
            as {{ adapter.quote(name) }}
        {%- endfor %}
    from identifies
),

-- one row per trait of each identify call; null values are kept, so that a call
-- that sets none still counts as the user's latest
trait_rows as (
    {%- set entries = [] -%}
    {%- for name, data_type in traits -%}
        {%- do entries.append([name, 'identify_rows.' ~ adapter.quote(name)]) -%}
    {%- endfor %}
    {{ hackle_unpivot_properties('identify_rows', 'user', entries) }}
),

final as (
    select distinct
        identify_rows.event_row_id as identify_row_id,
        identify_rows.user_id,
        identify_rows.anonymous_id,
        identify_rows.identified_at,
        identify_rows.received_at,
        trait_rows.property_key as trait_key,
        trait_rows.property_value as trait_value
    from trait_rows
    inner join identify_rows
        on trait_rows.event_row_id = identify_rows.event_row_id
)

{%- else -%}
-- no identifies table, or one without traits
final as (
    select
        cast(null as {{ dbt.type_string() }}) as identify_row_id,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_string() }}) as anonymous_id,
        cast(null as {{ dbt.type_timestamp() }}) as identified_at,
        cast(null as {{ dbt.type_timestamp() }}) as received_at,
        cast(null as {{ dbt.type_string() }}) as trait_key,
        cast(null as {{ dbt.type_string() }}) as trait_value
    where 1 = 0
)
{%- endif %}

select * from final
