{#- Every enabled source kind's staged events, in the common event shape. -#}

with

unioned as (
    {{ hackle_union_staged('events', [
        'source_kind', 'event_row_id', 'source_event_id', 'insert_id', 'event_time',
        'received_at', 'event_name', 'id', 'device_id', 'user_id', 'session_id',
        'ga_session_id', 'ga_device_id', 'metric_text', 'osname_raw', 'version_raw',
        'os_version', 'app_version', 'properties_are_valid'
    ]) }}
)

select * from unioned
