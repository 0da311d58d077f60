{% macro hackle_canonical_osname(osname) -%}
    {#- The OS name as the contract spells it: every spelling of Android becomes
        `Android` and every spelling of iOS (including iPadOS and iPhone OS) becomes
        `iOS`; other names pass through trimmed, to be accepted or held back by
        `accepted_os_names` (compared without regard to case). -#}
    {%- set trimmed = hackle_trim(osname) -%}
    case
        when lower({{ trimmed }}) = 'android' then 'Android'
        when lower({{ trimmed }}) in ('ios', 'iphone os', 'iphoneos', 'ipados', 'ipad os')
            then 'iOS'
        else {{ hackle_unless_blank(trimmed) }}
    end
{%- endmacro %}
