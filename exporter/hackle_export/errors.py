"""Errors the exporter reports to its user, each tied to an exit code."""

from __future__ import annotations

import logging

from hackle_export.exit_codes import ExitCode

logger = logging.getLogger(__name__)


class ExportError(Exception):
    """An error whose message is one sentence meant for the user."""

    exit_code: ExitCode = ExitCode.FAILURE


class UsageError(ExportError):
    """The command line was wrong."""

    exit_code = ExitCode.USAGE


class ConfigError(ExportError):
    """profiles.yml, dbt_project.yml, the warehouse or the destination is wrong."""

    exit_code = ExitCode.USAGE


class ContractViolation(ExportError):
    """The rows of a day, or the files written for it, break the import contract."""

    exit_code = ExitCode.CONTRACT_VIOLATION
