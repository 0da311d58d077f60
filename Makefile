# Two commands do everything on a fresh machine with Python 3.11:
#   make demo   build the sample events on DuckDB and export them into bucket/
#   make test   run every test: dbt build (data and unit tests) and pytest
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DEMO_DIR := build/demo
DEMO_DB := $(DEMO_DIR)/hackle.duckdb
DEMO_DEST := bucket/hackle
# The sample is a closed, historical data set: declare it complete, so that its
# last day is ready too.
DEMO_VARS := {sources_complete_until: "2030-01-01 00:00:00"}

TEST_DIR := build/test
TEST_DB := $(TEST_DIR)/hackle.duckdb

# make benchmark ROWS=20000000 BENCHMARK_ARGS=--skip-dbt
ROWS ?= 5000000
BENCHMARK_ARGS ?=

.PHONY: help demo test benchmark lint dbt-test pytest clean

help:
	@echo "make demo   build the sample on DuckDB and export every day into $(DEMO_DEST)/"
	@echo "make test   run every test (ruff, dbt build with all tests, pytest)"
	@echo "make benchmark [ROWS=N] [BENCHMARK_ARGS=...]  time the export and dbt's daily build"
	@echo "make clean  remove the virtual environment and build output"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dbt,dev,bigquery,s3]'
	touch $(STAMP)

$(DEMO_DIR)/profiles.yml $(TEST_DIR)/profiles.yml: profiles.example.yml
	mkdir -p $(@D)
	cp profiles.example.yml $@

demo: $(STAMP) $(DEMO_DIR)/profiles.yml
	$(BIN)/python sample_data/load_sample_data.py $(DEMO_DB)
	HACKLE_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt build --profiles-dir $(DEMO_DIR) \
		--target duckdb --full-refresh --vars '$(DEMO_VARS)' --quiet
	HACKLE_DUCKDB_PATH=$(DEMO_DB) $(BIN)/hackle-export --profiles-dir $(DEMO_DIR) \
		--target duckdb --all-days --allow-empty --dest $(DEMO_DEST)

# sqlfluff renders the models with dbt, which needs the profile and the sample's
# source tables; it runs before dbt-test, which rebuilds the same file.
lint: $(STAMP) $(TEST_DIR)/profiles.yml
	$(BIN)/ruff check exporter sample_data integration_tests benchmarks
	$(BIN)/ruff format --check exporter sample_data integration_tests benchmarks
	$(BIN)/python sample_data/load_sample_data.py $(TEST_DB)
	HACKLE_DUCKDB_PATH=$(TEST_DB) DBT_TARGET_PATH=$(TEST_DIR)/lint-target \
		DBT_LOG_PATH=$(TEST_DIR)/lint-logs $(BIN)/sqlfluff lint models tests

dbt-test: $(STAMP) $(TEST_DIR)/profiles.yml
	$(BIN)/python sample_data/load_sample_data.py $(TEST_DB)
	HACKLE_DUCKDB_PATH=$(TEST_DB) $(BIN)/dbt build --profiles-dir $(TEST_DIR) \
		--target duckdb --full-refresh

pytest: $(STAMP)
	$(BIN)/pytest

test: lint dbt-test pytest

benchmark: $(STAMP)
	$(BIN)/python benchmarks/export_benchmark.py --rows $(ROWS) $(BENCHMARK_ARGS)

clean:
	rm -rf $(VENV) build target dbt_packages logs
