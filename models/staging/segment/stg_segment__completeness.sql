{{ config(enabled=hackle_source_enabled('segment')) }}

-- the source holds every event up to the newest one it has received; per-event
-- tables and identifies are loaded in the same sync as tracks
with

events as (
    select * from {{ ref('stg_segment__events') }}
),

final as (
    select
        'segment' as source_kind,
        max(received_at) as complete_until
    from events
)

select * from final
