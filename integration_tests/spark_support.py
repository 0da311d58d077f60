"""A small Apache Spark session in local mode, bound to 127.0.0.1 with no web UI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

LOOPBACK = "127.0.0.1"


def java_missing_reason() -> str | None:
    """Why Spark cannot start here, or None when a Java runtime is on the machine."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return None
    if shutil.which("java"):
        return None
    return (
        "Apache Spark needs a Java runtime (17 or later); install one or set JAVA_HOME"
    )


@contextmanager
def local_spark(scratch: Path) -> Iterator[SparkSession]:
    """One-thread Spark in this process's machine only, stopped on exit."""
    from pyspark.sql import SparkSession

    # The launcher reads these before the JVM starts; the builder settings below
    # bind the driver itself.
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK
    os.environ["SPARK_LOCAL_HOSTNAME"] = "localhost"
    session = (
        SparkSession.builder.master("local[1]")
        .appName("hackle-export-read-check")
        .config("spark.driver.host", LOOPBACK)
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(scratch))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def vendor_schema() -> StructType:
    """The import schema exactly as the vendor lists it, every column non-nullable."""
    from pyspark.sql.types import (
        DecimalType,
        MapType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    def text_map() -> MapType:
        return MapType(StringType(), StringType())

    return StructType(
        [
            StructField("ts", TimestampType(), nullable=False),
            StructField("event_key", StringType(), nullable=False),
            StructField("identifiers", text_map(), nullable=False),
            StructField("insert_id", StringType(), nullable=False),
            StructField("metric_value", DecimalType(24, 6), nullable=False),
            StructField("user_properties", text_map(), nullable=False),
            StructField("event_properties", text_map(), nullable=False),
            StructField("platform_properties", text_map(), nullable=False),
        ]
    )
