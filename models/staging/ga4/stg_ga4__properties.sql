{{ config(enabled=hackle_source_enabled('ga4')) }}

with

-- on an incremental run, only the events it re-reads (see stg_reread_window)
events as (
    select * from {{ ref('stg_ga4__events') }}
    where {{ hackle_is_reread('received_at') }}
),

-- each event parameter, from the value field that is set
event_params as (
    select
        events.event_row_id,
        'event' as property_scope,
        param.key as property_key,
        {{ ga4_value_text('param.value') }} as property_value
    from events
    {{ ga4_unnest_join('events.event_params', 'param') }}
),

-- the purchase totals GA4 keeps beside the parameters
ecommerce_fields as (
    {%- set entries = [] -%}
    {%- for field, data_type in [
        ('total_item_quantity', 'bigint'), ('purchase_revenue_in_usd', 'double'),
        ('purchase_revenue', 'double'), ('refund_value_in_usd', 'double'),
        ('refund_value', 'double'), ('shipping_value_in_usd', 'double'),
        ('shipping_value', 'double'), ('tax_value_in_usd', 'double'),
        ('tax_value', 'double'), ('unique_items', 'bigint'),
        ('transaction_id', 'text')
    ] -%}
        {%- do entries.append([
            'ecommerce.' ~ field,
            hackle_value_text('events.ecommerce.' ~ field, data_type)
        ]) -%}
    {%- endfor %}
    {{ hackle_unpivot_properties('events', 'event', entries) }}
),

-- each user property, from the value field that is set
user_params as (
    select
        events.event_row_id,
        'user' as property_scope,
        user_property.key as property_key,
        {{ ga4_value_text('user_property.value') }} as property_value
    from events
    {{ ga4_unnest_join('events.user_properties', 'user_property') }}
),

-- where the user is and how GA4 first acquired them
user_fields as (
    {{ hackle_unpivot_properties('events', 'user', [
        ['geo.country', 'events.geo.country'],
        ['geo.region', 'events.geo.region'],
        ['geo.city', 'events.geo.city'],
        ['geo.continent', 'events.geo.continent'],
        ['traffic_source.source', 'events.traffic_source.source'],
        ['traffic_source.medium', 'events.traffic_source.medium'],
        ['traffic_source.name', 'events.traffic_source.name']
    ]) }}
),

-- the app, device and stream; osname and version are added after validation
platform_fields as (
    {{ hackle_unpivot_properties('events', 'platform', [
        ['platform', 'events.platform'],
        ['stream_id', 'events.stream_id'],
        ['device.category', 'events.device.category'],
        ['device.mobile_brand_name', 'events.device.mobile_brand_name'],
        ['device.mobile_model_name', 'events.device.mobile_model_name'],
        ['device.mobile_marketing_name', 'events.device.mobile_marketing_name'],
        ['device.language', 'events.device.language'],
        ['device.is_limited_ad_tracking', 'events.device.is_limited_ad_tracking'],
        ['device.browser', hackle_first_present([
            'events.device.web_info.browser', 'events.device.browser'
        ])],
        ['device.browser_version', hackle_first_present([
            'events.device.web_info.browser_version', 'events.device.browser_version'
        ])],
        ['app_info.id', 'events.app_info.id'],
        ['app_info.firebase_app_id', 'events.app_info.firebase_app_id'],
        ['app_info.install_source', 'events.app_info.install_source'],
        ['app_info.install_store', 'events.app_info.install_store']
    ]) }}
),

unioned as (
    select * from event_params
    union all
    select * from ecommerce_fields
    union all
    select * from user_params
    union all
    select * from user_fields
    union all
    select * from platform_fields
)

select * from unioned
where property_value is not null
