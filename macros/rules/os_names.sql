{% macro hackle_canonical_osname(osname) -%}
    {#- The OS name as the contract spells it: every spelling of Android becomes
        `Android` and every spelling of iOS (including iPadOS and iPhone OS) becomes
        `iOS`; other names pass through trimmed, to be accepted or held back by
        `accepted_os_names`. -#}
    case
        when lower(trim({{ osname }})) = 'android' then 'Android'
        when lower(trim({{ osname }})) in ('ios', 'iphone os', 'iphoneos', 'ipados', 'ipad os')
            then 'iOS'
        else {{ hackle_unless_blank('trim(' ~ osname ~ ')') }}
    end
{%- endmacro %}
