{#- Fails for every row of a map column with a key that is blank or not lowercase. -#}
{% test map_keys_are_lowercase(model, column_name) %}

with

entries as (
    select entry.entry_key
    from {{ model }}
    {{ hackle_map_entries_join(column_name, 'entry') }}
)

select entry_key
from entries
where {{ hackle_is_blank('entry_key') }}
    or entry_key <> lower(entry_key)

{% endtest %}
