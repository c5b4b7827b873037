"""Where configuration values come from: TOML files, dlt's config providers, strict key checks.

``custify.settings`` decides *what* a connection needs; this module knows *where* each value may
live and refuses what cannot be meant:

- TOML files are parsed here (a syntax error is ``file:line: message``).
- dlt's conventions for a source named ``custify`` are read through dlt's own providers
  (``EnvironProvider`` key naming, ``SecretsTomlProvider`` / ``ConfigTomlProvider`` bound to the
  project's ``.dlt`` folder and dlt's global folder, plus every extra provider registered with
  dlt, e.g. a vault), so ``SOURCES__CUSTIFY__API_KEY`` or ``[sources.custify]`` work as they do
  for any dlt source.
- Every section and key is known: an unknown one is a ``ConfigError`` naming the file, the
  section and the key, with the closest known name.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custify.errors import ConfigError

#: keys a connection's section may hold in dlt's files (``[sources.custify]``, ``[custify]``)
DLT_FILE_KEYS = ("api_key", "base_url")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean `destination`?)`` when a known name is close, else ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def unknown_key(where: str, key: str, known: Iterable[str], what: str = "key") -> ConfigError:
    """The one error for a key nobody reads: where, what, the closest name, the known ones."""
    known = sorted(known)
    return ConfigError(
        f"{where} {key}: unknown {what}{did_you_mean(key, known)}; known: {', '.join(known)}"
    )


def check_keys(where: str, section: Mapping[str, Any], known: Iterable[str]) -> None:
    known = set(known)
    for key in section:
        if key not in known:
            raise unknown_key(where, key, known)


def read_toml(path: Path, *, required: bool = False) -> dict[str, Any]:
    """Parse a TOML file; a missing file is ``{}`` unless ``required``."""
    if not path.exists():
        if required:
            raise ConfigError(f"config file {path} does not exist (check -c / --config)")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = match.group(1) if match else "?"
        reason = re.sub(r"\s*\(at line .*\)$", "", str(exc))
        raise ConfigError(f"{path}:{line}: invalid TOML: {reason}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def _global_dlt_dir() -> str | None:
    from dlt.common.runtime.run_context import global_dir

    try:
        return global_dir()
    except OSError:
        return None


@dataclass(frozen=True)
class Found:
    """A value and where it was found (for messages; never the value itself in them)."""

    value: Any
    where: str
    from_env: bool = False


class DltValues:
    """dlt's config providers for one project, asked for the ``custify`` source's values.

    The toml providers are bound to ``<project>/.dlt`` (not to the working directory dlt would
    use), so ``-c other/pipelines.toml`` reads ``other/.dlt``. Environment variables follow
    dlt's naming (``SOURCES__CUSTIFY__API_KEY``) but are looked up in the ``env`` mapping the
    caller passes, so settings stay a function of their inputs.
    """

    def __init__(self, project_dir: Path, env: Mapping[str, str]) -> None:
        from dlt.common.configuration.providers import ConfigTomlProvider, SecretsTomlProvider

        settings_dir = str(project_dir / ".dlt")
        global_dir = _global_dlt_dir()
        self.env = env
        # dlt takes None for "no global directory" though its hints say str
        self.files = [SecretsTomlProvider(settings_dir, global_dir),  # type: ignore[arg-type]
                      ConfigTomlProvider(settings_dir, global_dir)]  # type: ignore[arg-type]  # fmt: skip
        self.extra = _registered_extra_providers()

    @staticmethod
    def env_name(key: str, *sections: str) -> str:
        from dlt.common.configuration.providers import EnvironProvider

        return EnvironProvider.get_key_name(key, *sections)

    def get(self, key: str, sections: tuple[str, ...]) -> Found | None:
        """The value from env, the toml files, then extra providers (in dlt's order)."""
        name = self.env_name(key, *sections)
        if self.env.get(name):
            return Found(self.env[name], name, from_env=True)
        for provider in [*self.files, *self.extra]:
            try:
                value, _ = provider.get_value(key, str, None, *sections)
            except Exception:  # a vault that cannot be reached is not our configuration error
                continue
            if value not in (None, ""):
                where = provider.get_value_location(key, None, *sections) or provider.name
                return Found(value, f"{where} [{'.'.join(sections)}] {key}")
        return None


def _registered_extra_providers() -> list[Any]:
    """Providers a user registered with dlt beyond its defaults (vaults, orchestrators)."""
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.providers import (
        ConfigTomlProvider,
        EnvironProvider,
        SecretsTomlProvider,
    )
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    defaults = (EnvironProvider, SecretsTomlProvider, ConfigTomlProvider)
    try:
        providers = Container()[PluggableRunContext].providers.providers
    except Exception:
        return []
    return [p for p in providers if not isinstance(p, defaults)]


def check_dlt_files(project_dir: Path) -> None:
    """``[sources.custify]`` and ``[custify]`` in the project's ``.dlt/*.toml`` hold only keys
    custify-sync reads; a typo there would silently fall back to a default (production)."""
    for name in ("secrets.toml", "config.toml"):
        path = project_dir / ".dlt" / name
        doc = read_toml(path)
        sections = {"[custify]": doc.get("custify")}
        sources = doc.get("sources")
        if isinstance(sources, dict):
            sections["[sources.custify]"] = sources.get("custify")
        for label, section in sections.items():
            if section is None:
                continue
            if not isinstance(section, dict):
                raise ConfigError(f"{path} {label} must be a table")
            _check_connection_keys(path, label, section)


def _check_connection_keys(path: Path, label: str, section: dict[str, Any]) -> None:
    for key, value in section.items():
        if key == "connections":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{path} {label}.connections.<name> entries must be tables")
            for conn, options in value.items():
                check_keys(f"{path} {label[:-1]}.connections.{conn}]", options, DLT_FILE_KEYS)
        elif key not in DLT_FILE_KEYS:
            raise ConfigError(
                f"{path} {label}: unknown key `{key}`"
                f"{did_you_mean(key, DLT_FILE_KEYS)}; known: {', '.join(DLT_FILE_KEYS)} "
                "(other options belong in pipelines.toml [custify])"
            )
