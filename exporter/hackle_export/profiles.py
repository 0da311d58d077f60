"""Find the warehouse connection the way dbt does.

``profiles.yml`` comes from ``--profiles-dir``, else ``$DBT_PROFILES_DIR``, else the
current directory when it holds one, else ``~/.dbt/``. The profile name is the
``profile:`` key of ``dbt_project.yml`` in the project directory; the target is
``--target`` or the profile's ``target:``. String values may use
``{{ env_var('NAME') }}`` and ``{{ env_var('NAME', 'default') }}`` as in dbt.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from hackle_export.errors import ConfigError

logger = logging.getLogger(__name__)

PROFILES_FILE = "profiles.yml"
PROJECT_FILE = "dbt_project.yml"


@dataclass(frozen=True)
class Target:
    """One rendered output of a dbt profile."""

    profile: str
    name: str
    type: str
    settings: Mapping[str, Any] = field(default_factory=dict)


class _MissingEnvVar(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _jinja_environment(env: Mapping[str, str]) -> jinja2.Environment:
    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise _MissingEnvVar(name)

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = env_var
    # dbt's type filters; the exporter reads only text settings, so they keep text.
    for name in ("as_text", "as_number", "as_bool", "as_native"):
        environment.filters[name] = lambda value: value
    return environment


def _render(value: Any, environment: jinja2.Environment, source: Path) -> Any:
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        try:
            return environment.from_string(value).render()
        except _MissingEnvVar as exc:
            raise ConfigError(
                f"{source} uses the environment variable {exc.name}, which is not "
                "set; set it or give env_var() a default"
            ) from exc
        except jinja2.TemplateError as exc:
            raise ConfigError(
                f"{source} holds a template dbt could not render either ({exc}); "
                "fix that value"
            ) from exc
    if isinstance(value, dict):
        return {key: _render(item, environment, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, environment, source) for item in value]
    return value


def _load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist; {_hint(path)}") from exc
    except (IsADirectoryError, NotADirectoryError) as exc:
        raise ConfigError(f"{path} is not a file; {_hint(path)}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix the file") from exc


def _hint(path: Path) -> str:
    if path.name == PROJECT_FILE:
        return "run from the dbt project folder or pass --project-dir"
    return (
        "put profiles.yml in the current folder, pass --profiles-dir, or set "
        "DBT_PROFILES_DIR to the folder holding it"
    )


def find_profiles_dir(
    profiles_dir: Path | None, env: Mapping[str, str], cwd: Path
) -> Path:
    """The folder whose ``profiles.yml`` dbt would read."""
    if profiles_dir is not None:
        return profiles_dir
    if env.get("DBT_PROFILES_DIR"):
        return Path(env["DBT_PROFILES_DIR"])
    if (cwd / PROFILES_FILE).is_file():
        return cwd
    return Path.home() / ".dbt"


def load_target(
    project_dir: Path,
    profiles_dir: Path | None = None,
    target_name: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Target:
    """Read the dbt project's profile and return the chosen target, rendered."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    environment = _jinja_environment(env)

    project_path = project_dir / PROJECT_FILE
    # Only the profile name is needed; the rest of the file (hooks, vars) holds
    # dbt's own macros, which only dbt can render.
    project = _load_yaml(project_path)
    if isinstance(project, dict) and project.get("profile"):
        project["profile"] = _render(project["profile"], environment, project_path)
    if not isinstance(project, dict) or not project.get("profile"):
        raise ConfigError(
            f"{project_path} has no profile: key; add the name of the dbt profile"
        )
    profile_name = str(project["profile"])

    profiles_path = find_profiles_dir(profiles_dir, env, cwd) / PROFILES_FILE
    profiles = _load_yaml(profiles_path)
    profile = profiles.get(profile_name) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict):
        raise ConfigError(
            f"{profiles_path} has no profile named {profile_name!r}; add it or fix "
            f"the profile: key of {project_path}"
        )
    # Like dbt, render only the chosen output: another output may name
    # environment variables that are set only where that output is used.
    name = target_name or _render(profile.get("target"), environment, profiles_path)
    outputs = profile.get("outputs")
    if not name:
        raise ConfigError(
            f"profile {profile_name!r} in {profiles_path} has no target: key; "
            "add one or pass --target"
        )
    if not isinstance(outputs, dict) or not isinstance(outputs.get(name), dict):
        known = ", ".join(sorted(outputs)) if isinstance(outputs, dict) else "none"
        raise ConfigError(
            f"profile {profile_name!r} in {profiles_path} has no output named "
            f"{name!r} (outputs: {known}); pick one with --target"
        )
    settings = _render(outputs[name], environment, profiles_path)
    target_type = str(settings.get("type", "")).strip().lower()
    if not target_type:
        raise ConfigError(
            f"output {name!r} of profile {profile_name!r} in {profiles_path} has no "
            "type: key; set it to duckdb"
        )
    logger.debug(
        "using target %s (type %s) of profile %s from %s",
        name,
        target_type,
        profile_name,
        profiles_path,
    )
    return Target(profile_name, str(name), target_type, settings)
