"""Publish one day of product events as Hackle-ready Parquet, ``_SUCCESS`` last."""

__version__ = "0.1.0"
