{#- The error of a dispatch macro's default__ variant on a warehouse the project
    has no variant for: what is missing, on which adapter, and how to add it. -#}

{% macro hackle_not_implemented(what, macro_name, advice) -%}
    {{ exceptions.raise_compiler_error(
        what ~ " is not implemented for adapter '" ~ adapter.type() ~ "'; add a "
        ~ adapter.type() ~ "__" ~ macro_name ~ " macro (" ~ advice ~ ")."
    ) }}
{%- endmacro %}
