{{ config(enabled=hackle_source_enabled('amplitude')) }}

-- the source holds every event up to the newest one it has received
with

events as (
    select * from {{ ref('stg_amplitude__events') }}
),

final as (
    select
        'amplitude' as source_kind,
        max(received_at) as complete_until
    from events
)

select * from final
