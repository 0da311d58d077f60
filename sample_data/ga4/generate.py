"""Generate the GA4 sample: a small BigQuery export of an imaginary app and website.

No licensed GA4 rows exist to bundle, so the sample is written here, with a fixed
seed and no network: the same tables on every run. The tables follow Google's
published export schema (dataset ``analytics_<property_id>``, one table per date
in the property's time zone) and carry the quirks a real export has: byte-identical
duplicate rows, a daily and an intraday table of the same date, an intraday table
without its daily table, tables whose names only look like shards, consent-mode
rows without ``user_pseudo_id``, one parameter typed three ways, an event uploaded
a day after it happened, and evenings that fall on the next UTC day.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

PROPERTY_ZONE = ZoneInfo("America/Los_Angeles")
SEED = 20240603
DAILY_DATES = [date(2024, 6, day) for day in range(3, 7)]
# The date still streaming: only its intraday table exists.
OPEN_DATE = date(2024, 6, 7)

_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_USER_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
        ("set_timestamp_micros", pa.int64()),
    ]
)

# The columns of an events_YYYYMMDD table, as Google's export schema lists them.
SHARD_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        (
            "event_params",
            pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)])),
        ),
        ("event_previous_timestamp", pa.int64()),
        ("event_value_in_usd", pa.float64()),
        ("event_bundle_sequence_id", pa.int64()),
        ("event_server_timestamp_offset", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        (
            "privacy_info",
            pa.struct(
                [
                    ("analytics_storage", pa.string()),
                    ("ads_storage", pa.string()),
                    ("uses_transient_token", pa.string()),
                ]
            ),
        ),
        (
            "user_properties",
            pa.list_(pa.struct([("key", pa.string()), ("value", _USER_VALUE)])),
        ),
        ("user_first_touch_timestamp", pa.int64()),
        (
            "user_ltv",
            pa.struct([("revenue", pa.float64()), ("currency", pa.string())]),
        ),
        (
            "device",
            pa.struct(
                [
                    ("category", pa.string()),
                    ("mobile_brand_name", pa.string()),
                    ("mobile_model_name", pa.string()),
                    ("mobile_marketing_name", pa.string()),
                    ("mobile_os_hardware_model", pa.string()),
                    ("operating_system", pa.string()),
                    ("operating_system_version", pa.string()),
                    ("vendor_id", pa.string()),
                    ("advertising_id", pa.string()),
                    ("language", pa.string()),
                    ("is_limited_ad_tracking", pa.string()),
                    ("time_zone_offset_seconds", pa.int64()),
                    ("browser", pa.string()),
                    ("browser_version", pa.string()),
                    (
                        "web_info",
                        pa.struct(
                            [
                                ("browser", pa.string()),
                                ("browser_version", pa.string()),
                                ("hostname", pa.string()),
                            ]
                        ),
                    ),
                ]
            ),
        ),
        (
            "geo",
            pa.struct(
                [
                    ("city", pa.string()),
                    ("country", pa.string()),
                    ("continent", pa.string()),
                    ("region", pa.string()),
                    ("sub_continent", pa.string()),
                    ("metro", pa.string()),
                ]
            ),
        ),
        (
            "app_info",
            pa.struct(
                [
                    ("id", pa.string()),
                    ("version", pa.string()),
                    ("install_store", pa.string()),
                    ("firebase_app_id", pa.string()),
                    ("install_source", pa.string()),
                ]
            ),
        ),
        (
            "traffic_source",
            pa.struct(
                [
                    ("name", pa.string()),
                    ("medium", pa.string()),
                    ("source", pa.string()),
                ]
            ),
        ),
        ("stream_id", pa.string()),
        ("platform", pa.string()),
        ("event_dimensions", pa.struct([("hostname", pa.string())])),
        (
            "ecommerce",
            pa.struct(
                [
                    ("total_item_quantity", pa.int64()),
                    ("purchase_revenue_in_usd", pa.float64()),
                    ("purchase_revenue", pa.float64()),
                    ("refund_value_in_usd", pa.float64()),
                    ("refund_value", pa.float64()),
                    ("shipping_value_in_usd", pa.float64()),
                    ("shipping_value", pa.float64()),
                    ("tax_value_in_usd", pa.float64()),
                    ("tax_value", pa.float64()),
                    ("unique_items", pa.int64()),
                    ("transaction_id", pa.string()),
                ]
            ),
        ),
        (
            "items",
            pa.list_(
                pa.struct(
                    [
                        ("item_id", pa.string()),
                        ("item_name", pa.string()),
                        ("item_category", pa.string()),
                        ("price_in_usd", pa.float64()),
                        ("price", pa.float64()),
                        ("quantity", pa.int64()),
                        ("item_revenue_in_usd", pa.float64()),
                        ("item_revenue", pa.float64()),
                    ]
                )
            ),
        ),
        ("is_active_user", pa.bool_()),
        ("batch_event_index", pa.int64()),
        ("batch_page_id", pa.int64()),
        ("batch_ordering_id", pa.int64()),
    ]
)

# A table in the same dataset that is not an event shard at all.
PSEUDONYMOUS_USERS_SCHEMA = pa.schema(
    [
        ("pseudo_user_id", pa.string()),
        ("stream_id", pa.string()),
        ("last_updated_date", pa.string()),
        ("occurrence_date", pa.string()),
    ]
)


@dataclass(frozen=True)
class _User:
    pseudo_id: str | None
    user_id: str | None
    platform: str
    os: str
    os_version: str
    brand: str | None
    model: str | None
    browser: str | None
    app_version: str | None
    country: str
    region: str
    city: str
    tier: str | None


_STREAMS = {"ANDROID": "4174518301", "IOS": "4174520912", "WEB": "4174533478"}
_APPS = {
    "ANDROID": (
        "com.example.hackledemo",
        "1:902114:android:5c1e",
        "com.android.vending",
    ),
    "IOS": ("com.example.HackleDemo", "1:902114:ios:8a3f", "iTunes"),
}

_USERS = [
    _User(
        "5d3c9e0a41b24f7e9c2b6a1d8e4f0c37",
        "u-1001",
        "ANDROID",
        "Android",
        "Android 14",
        "Google",
        "Pixel 8",
        None,
        "2.4.0",
        "United States",
        "California",
        "San Jose",
        "gold",
    ),
    _User(
        "9a7f3e21c0d84b56a1e2f3c4d5b6a798",
        None,
        "ANDROID",
        "Android",
        "Android 13",
        "Samsung",
        "SM-S911B",
        None,
        "2.3.1",
        "South Korea",
        "Seoul",
        "Seoul",
        None,
    ),
    _User(
        "E1B7C2D4A5F64E3B8C9D0A1B2C3D4E5F",
        "u-1002",
        "IOS",
        "iOS",
        "iOS 17.4.1",
        "Apple",
        "iPhone15,2",
        None,
        "2.4.0",
        "United States",
        "Washington",
        "Seattle",
        "silver",
    ),
    _User(
        "1843201977.1714521600",
        None,
        "WEB",
        "iOS",
        "iOS 17.4",
        "Apple",
        "iPhone",
        "Safari",
        None,
        "Canada",
        "British Columbia",
        "Vancouver",
        None,
    ),
    _User(
        "702334815.1714550400",
        "u-1003",
        "WEB",
        "Windows",
        "Windows 10",
        None,
        None,
        "Chrome",
        None,
        "United States",
        "Oregon",
        "Portland",
        "gold",
    ),
]


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def param(key: str, value: Any) -> dict[str, Any]:
    """One event_params entry: the value in the field GA4 uses for its type."""
    fields: dict[str, Any] = {
        "string_value": None,
        "int_value": None,
        "float_value": None,
        "double_value": None,
    }
    if isinstance(value, str):
        fields["string_value"] = value
    elif isinstance(value, bool | int):
        fields["int_value"] = int(value)
    elif isinstance(value, float):
        fields["double_value"] = value
    return {"key": key, "value": fields}


class _Writer:
    """Builds the rows of every shard, one user session at a time."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.rows: dict[date, list[dict[str, Any]]] = {}
        self.first_touch: dict[str, int] = {}
        self.bundle = 1000

    def session(self, user: _User, day: date, hour: int, names: list[str]) -> None:
        rng = self.rng
        start = datetime(
            day.year,
            day.month,
            day.day,
            hour,
            rng.randrange(60),
            rng.randrange(60),
            rng.randrange(1_000_000),
            tzinfo=PROPERTY_ZONE,
        )
        session_id = int(start.timestamp())
        moment = start
        previous: dict[str, int] = {}
        for number, name in enumerate(names, start=1):
            moment += timedelta(
                seconds=rng.randrange(3, 90), microseconds=rng.randrange(999_999)
            )
            self.rows.setdefault(day, []).append(
                self.event(user, moment, name, session_id, number, previous)
            )

    def event(
        self,
        user: _User,
        moment: datetime,
        name: str,
        session_id: int,
        number: int,
        previous: dict[str, int],
    ) -> dict[str, Any]:
        rng = self.rng
        timestamp = _micros(moment)
        app = user.platform != "WEB"
        params = [
            param("ga_session_id", session_id),
            param("ga_session_number", 1 + session_id % 5),
            param("engagement_time_msec", rng.randrange(100, 60_000)),
        ]
        if app:
            params.append(
                param("firebase_screen", rng.choice(["Home", "Shop", "Play"]))
            )
        else:
            params.append(param("page_location", "https://demo.example.com/shop"))
            params.append(param("page_title", "Shop"))
        value = None
        ecommerce = None
        items = None
        if name == "level_up":
            # GA4 types a parameter by what the SDK sent: one key, three fields
            level = {"ANDROID": 3, "IOS": 3.0, "WEB": "3"}[user.platform]
            params.append(param("level", level))
            params.append(param("character", "wizard"))
        if name == "purchase":
            price = rng.choice([4.99, 9.99, 19.99])
            value = price
            params += [
                param("currency", "USD"),
                param("value", price),
                param("discount", 0.1),
                param("transaction_id", f"T-{timestamp % 100000:05d}"),
                # a parameter the tag sent without a value
                param("coupon", None),
            ]
            ecommerce = {
                "total_item_quantity": 1,
                "purchase_revenue_in_usd": price,
                "purchase_revenue": price,
                "refund_value_in_usd": None,
                "refund_value": None,
                "shipping_value_in_usd": None,
                "shipping_value": None,
                "tax_value_in_usd": 0.0,
                "tax_value": 0.0,
                "unique_items": 1,
                "transaction_id": f"T-{timestamp % 100000:05d}",
            }
            items = [
                {
                    "item_id": "SKU-7",
                    "item_name": "Gem pack",
                    "item_category": "Gems",
                    "price_in_usd": price,
                    "price": price,
                    "quantity": 1,
                    "item_revenue_in_usd": price,
                    "item_revenue": price,
                }
            ]
        key = user.pseudo_id or "consent-denied"
        self.first_touch.setdefault(key, timestamp)
        user_properties = []
        if user.tier:
            user_properties.append(
                {
                    "key": "membership_tier",
                    "value": {
                        "string_value": user.tier,
                        "int_value": None,
                        "float_value": None,
                        "double_value": None,
                        "set_timestamp_micros": self.first_touch[key],
                    },
                }
            )
        if app:
            self.bundle += 1
        row = {
            "event_date": moment.strftime("%Y%m%d"),
            "event_timestamp": timestamp,
            "event_name": name,
            "event_params": params,
            "event_previous_timestamp": previous.get(name) if app else None,
            "event_value_in_usd": value,
            "event_bundle_sequence_id": self.bundle if app else None,
            "event_server_timestamp_offset": rng.randrange(150_000, 2_500_000)
            if app
            else None,
            "user_id": user.user_id,
            "user_pseudo_id": user.pseudo_id,
            "privacy_info": {
                "analytics_storage": "Yes" if user.pseudo_id else "No",
                "ads_storage": "No",
                "uses_transient_token": "No" if user.pseudo_id else "Yes",
            },
            "user_properties": user_properties,
            "user_first_touch_timestamp": self.first_touch[key]
            if user.pseudo_id
            else None,
            "user_ltv": {"revenue": 0.0, "currency": "USD"} if user.pseudo_id else None,
            "device": {
                "category": "mobile",
                "mobile_brand_name": user.brand,
                "mobile_model_name": user.model,
                "mobile_marketing_name": user.model,
                "mobile_os_hardware_model": user.model if app else None,
                "operating_system": user.os,
                "operating_system_version": user.os_version,
                "vendor_id": None,
                "advertising_id": None,
                "language": "en-us",
                "is_limited_ad_tracking": "No",
                "time_zone_offset_seconds": -25200 if app else None,
                "browser": None,
                "browser_version": None,
                "web_info": None
                if app
                else {
                    "browser": user.browser,
                    "browser_version": "17.4" if user.browser == "Safari" else "124.0",
                    "hostname": "demo.example.com",
                },
            },
            "geo": {
                "city": user.city,
                "country": user.country,
                "continent": "Americas" if user.country != "South Korea" else "Asia",
                "region": user.region,
                "sub_continent": "Northern America"
                if user.country != "South Korea"
                else "Eastern Asia",
                "metro": "(not set)",
            },
            "app_info": None
            if not app
            else dict(
                zip(
                    ("id", "firebase_app_id", "install_source"),
                    _APPS[user.platform],
                    strict=True,
                ),
                version=user.app_version,
                install_store=None,
            ),
            "traffic_source": {
                "name": "(direct)",
                "medium": "(none)",
                "source": "(direct)",
            },
            "stream_id": _STREAMS[user.platform],
            "platform": user.platform,
            "event_dimensions": None if app else {"hostname": "demo.example.com"},
            "ecommerce": ecommerce,
            "items": items or [],
            "is_active_user": True,
            "batch_event_index": None if app else number,
            "batch_page_id": None if app else session_id * 1000 + 1,
            "batch_ordering_id": None if app else number,
        }
        previous[name] = timestamp
        return row


_SESSIONS = [
    # user, hour (property zone), events
    (0, 8, ["session_start", "screen_view", "level_up", "user_engagement"]),
    (1, 12, ["session_start", "screen_view", "purchase"]),
    (2, 18, ["session_start", "screen_view", "level_up", "purchase"]),
    (3, 21, ["session_start", "page_view", "level_up"]),
    (4, 10, ["session_start", "page_view", "purchase"]),
]


def _consent_denied() -> Iterator[_User]:
    """Two visitors who declined analytics cookies: no user_pseudo_id."""
    for city in ("Denver", "Austin"):
        yield _User(
            None,
            None,
            "WEB",
            "Android",
            "Android 10",
            "Google",
            "Pixel 4a",
            "Chrome",
            None,
            "United States",
            "",
            city,
            None,
        )


def shards() -> dict[str, list[dict[str, Any]]]:
    """Every table of the sample dataset, by name, as lists of rows."""
    writer = _Writer()
    for day in [*DAILY_DATES, OPEN_DATE]:
        for user_index, hour, names in _SESSIONS:
            writer.session(_USERS[user_index], day, hour, names)

    tables: dict[str, list[dict[str, Any]]] = {}
    for day in DAILY_DATES:
        tables[f"events_{day:%Y%m%d}"] = list(writer.rows[day])

    # consent mode: two visitors' page_views at the same instant, told apart only
    # by what they looked at
    moment = datetime(2024, 6, 4, 16, 30, tzinfo=PROPERTY_ZONE)
    for visitor, path in zip(_consent_denied(), ("/a", "/b"), strict=True):
        row = writer.event(visitor, moment, "page_view", int(moment.timestamp()), 1, {})
        row["event_params"][3] = param(
            "page_location", f"https://demo.example.com{path}"
        )
        tables["events_20240604"].append(row)

    # the SDK sent one batch twice: a byte-identical copy in the same shard
    tables["events_20240604"].append(dict(tables["events_20240604"][2]))

    # an Android event of June 4 that the phone uploaded on June 5
    moment = datetime(2024, 6, 4, 22, 15, tzinfo=PROPERTY_ZONE)
    late = writer.event(
        _USERS[1], moment, "screen_view", int(moment.timestamp()) - 300, 9, {}
    )
    late["event_server_timestamp_offset"] = 26 * 3_600_000_000
    tables["events_20240604"].append(late)

    # the intraday table of June 6 is still there next to the finished daily one;
    # it lacks the evening sessions and has one row the daily table corrected
    intraday_4 = [dict(row) for row in writer.rows[date(2024, 6, 6)][:8]]
    intraday_4[0] = {**intraday_4[0], "event_name": "session_start_provisional"}
    tables["events_intraday_20240606"] = intraday_4
    # June 7 is still open: only the intraday table exists
    tables["events_intraday_20240607"] = list(writer.rows[OPEN_DATE])

    # tables that only look like shards
    tables["events_fresh_20240605"] = list(writer.rows[date(2024, 6, 5)][:3])
    tables["events_20240101_backup"] = list(writer.rows[date(2024, 6, 3)][:2])
    return tables


def pseudonymous_users() -> list[dict[str, Any]]:
    """The user-level export table, another table of the same dataset."""
    return [
        {
            "pseudo_user_id": user.pseudo_id,
            "stream_id": _STREAMS[user.platform],
            "last_updated_date": "20240605",
            "occurrence_date": "20240605",
        }
        for user in _USERS
    ]


def shard_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SHARD_SCHEMA)


def pseudonymous_users_table() -> pa.Table:
    return pa.Table.from_pylist(pseudonymous_users(), schema=PSEUDONYMOUS_USERS_SCHEMA)


def _check() -> None:
    """Every row's event_date is its time's date in the property zone."""
    for name, rows in shards().items():
        for row in rows:
            moment = datetime.fromtimestamp(row["event_timestamp"] / 1e6, UTC)
            local = moment.astimezone(PROPERTY_ZONE).strftime("%Y%m%d")
            assert local == row["event_date"], (name, row["event_name"])


if __name__ == "__main__":
    _check()
    for table_name, table_rows in sorted(shards().items()):
        print(table_name, len(table_rows))
