"""Each dbt data test on the contract fails when its rule is broken.

The built sample passes every test; here a copy of it is damaged one way at a time
and ``dbt test`` must name the test that guards that rule.
"""

from __future__ import annotations

import pytest
from dbt_support import Project

# One damage per rule, and the start of the name of the test that must catch it.
DAMAGES = {
    "uppercase identifier key": (
        "update hackle_events set identifiers = map_concat(identifiers, "
        "map {'User_ID': 'x'}) where insert_id = (select min(insert_id) "
        "from hackle_events)",
        "map_keys_are_lowercase_hackle_events_identifiers",
    ),
    "missing device_id": (
        "update hackle_events set identifiers = map {'id': 'x'} "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "map_has_keys_hackle_events_identifiers",
    ),
    "empty id": (
        "update hackle_events set identifiers = map {'id': '', 'device_id': 'x'} "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "map_has_keys_hackle_events_identifiers",
    ),
    "missing version": (
        "update hackle_events set platform_properties = map {'osname': 'iOS'} "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "map_has_keys_hackle_events_platform_properties",
    ),
    "unknown osname": (
        "update hackle_events set platform_properties = "
        "map {'osname': 'Windows', 'version': '1'} "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "accepted_os_name_hackle_events_platform_properties",
    ),
    "uppercase property key": (
        "update hackle_events set event_properties = map {'Plan': 'x'} "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "map_keys_are_lowercase_hackle_events_event_properties",
    ),
    "uppercase uuid": (
        "update hackle_events set insert_id = upper(insert_id) "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "is_canonical_uuid_hackle_events_insert_id",
    ),
    "duplicate insert_id in a day": (
        "insert into hackle_events select * from hackle_events "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "unique_per_partition_day_hackle_events_insert_id",
    ),
    "microsecond timestamp": (
        "update hackle_events set ts = ts + interval 1 microsecond "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "is_millisecond_utc_event_time_hackle_events_ts",
    ),
    "empty event key": (
        "update hackle_events set event_key = ' ' "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "not_empty_string_hackle_events_event_key",
    ),
    "summary off by one": (
        "update hackle_daily_summary set exported_rows = exported_rows + 1 "
        "where dt = (select min(dt) from hackle_daily_summary)",
        "reconciles_hackle_daily_summary",
    ),
    "event outside its summary day": (
        "update hackle_events set ts = ts - interval 400 day "
        "where insert_id = (select min(insert_id) from hackle_events)",
        "summary_matches_events",
    ),
}


def test_the_built_sample_passes_every_data_test(sample_copy: Project) -> None:
    result = sample_copy.dbt("test", "--select", "test_type:data")
    assert "ERROR=0" in result.stdout
    assert " FAIL " not in result.stdout
    assert len(DAMAGES) < int(result.stdout.split("PASS=")[1].split()[0])


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_broken_rule_fails_its_test(sample_copy: Project, damage: str) -> None:
    statement, test_name = DAMAGES[damage]
    sample_copy.execute(statement)

    result = sample_copy.dbt(
        "test", "--select", "hackle_events hackle_daily_summary", check=False
    )

    assert result.returncode != 0
    failing = [line for line in result.stdout.splitlines() if " FAIL " in line]
    assert any(test_name in line for line in failing), result.stdout
