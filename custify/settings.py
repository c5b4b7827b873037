"""Connection settings: the one module that reads pipelines.toml, .dlt/secrets.toml and the env.

Settings are passed in, never looked up elsewhere. Non-secret options live in
``pipelines.toml`` under ``[custify]`` (the default connection) and
``[custify.connections.<name>]`` (named connections such as production and staging). The key
lives in ``.dlt/secrets.toml`` or the environment (``CUSTIFY_API_KEY``,
``CUSTIFY_<NAME>_API_KEY``), which wins. Custify has regional clusters, so the base URL is
configurable too (custify-api.md §1.1). Every problem is one line naming the key to fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from custify.config_file import (
    DEFAULT_CONNECTION,
    check_sections,
    connection_options,
    connection_sections,
    env_name,
    refuse_secrets,
    section_label,
)
from custify.config_sources import (
    DltValues,
    Found,
    check_dlt_files,
    read_toml,
)
from custify.errors import ConfigError

__all__ = ["ApiKey", "ConfigError", "ConnectionSettings", "Settings", "load_settings"]

DEFAULT_BASE_URL = "https://api.custify.com"
_MASK = "***"
DEFAULT_STATE_DIR = ".custify-sync"


class ApiKey:
    """A Custify API key that never shows itself: repr, str, format and pickle all give ``***``.

    Only ``reveal()`` returns the secret (the transport calls it to build the bearer header).
    A pickled key arrives masked: processes must load their own settings (``load_settings``).
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("ApiKey takes a str")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        if self._value == _MASK:
            raise ConfigError(
                "this API key was masked when pickled; load settings in this process "
                "(custify.settings.load_settings) instead of passing them across processes"
            )
        return self._value

    def fingerprint(self) -> str:
        """SHA-256 hex of the key: names the shared rate budget without storing the key."""
        return hashlib.sha256(self._value.encode()).hexdigest()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ApiKey is immutable")

    def __repr__(self) -> str:
        return f"ApiKey('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __reduce__(self) -> tuple[Any, ...]:
        return (ApiKey, (_MASK,))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiKey):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __bool__(self) -> bool:
        return bool(self._value)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts where plain http is allowed."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str, where: str) -> str:
    """A base URL must be http(s) with a host; plain http only on loopback (the key is sent)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: base URL {url!r} is malformed; expected https://host[:port]")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where}: base URL {url!r} must not carry a query or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"{where}: plain http to {parts.hostname} would send the API key in clear; "
            "use https (http is allowed only on 127.0.0.1, ::1 and localhost)"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class ConnectionSettings:
    """One Custify account to talk to. Frozen: hand it to threads freely.

    ``rate_limit`` / ``rate_window_s`` default to Custify's published 100 requests per 10 s
    (§1.8); enterprise plans differ. ``budget_path`` is the SQLite file of the shared budget;
    ``load_settings`` puts it in the project's state directory, and None (settings built by
    hand) means one file per base URL + key fingerprint under ``~/.cache/custify-sync/``.
    ``dataset`` is a named connection's warehouse dataset (None: ``<[warehouse] dataset>_<name>``).
    """

    api_key: ApiKey
    name: str = DEFAULT_CONNECTION
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    rate_limit: int = 100
    rate_window_s: float = 10.0
    rate_safety_s: float = 0.25
    max_retries: int = 8
    max_backoff_s: float = 60.0
    concurrency: int = 8
    budget_path: Path | None = None
    dataset: str | None = None
    #: where the budget's log lives: "sqlite" (this machine) or "postgres" (the warehouse's)
    budget_backend: str = "sqlite"
    #: "auto": people, company and event writes go through POST /batch while the account
    #: takes it; "off": always through the single endpoints (custify-api.md §15)
    batch: str = "auto"

    def __post_init__(self) -> None:
        where = f"connection {self.name!r}"
        if not isinstance(self.api_key, ApiKey):
            raise ConfigError(f"{where}: api_key must be an ApiKey (it masks itself)")
        if not self.api_key:
            raise ConfigError(
                f"{where}: the API key is empty; set {env_name(self.name, 'API_KEY')}"
            )
        object.__setattr__(self, "base_url", validate_base_url(self.base_url, where))
        for name in ("timeout_s", "connect_timeout_s", "rate_window_s", "max_backoff_s"):
            _positive(self, name, where, float)
        for name in ("rate_limit", "concurrency"):
            _positive(self, name, where, int)
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigError(f"{where}: max_retries must be an integer >= 0")
        if not isinstance(self.rate_safety_s, int | float) or self.rate_safety_s < 0:
            raise ConfigError(f"{where}: rate_safety_s must be a number >= 0")
        if self.budget_path is not None:
            object.__setattr__(self, "budget_path", Path(self.budget_path).expanduser())
        if self.batch not in ("auto", "off"):
            raise ConfigError(f'{where}: batch must be "auto" or "off", got {self.batch!r}')

    def budget_file_name(self) -> str:
        """One SQLite file per account: base URL + SHA-256 of the key, never the key itself."""
        digest = hashlib.sha256(f"{self.base_url}\0{self.api_key.fingerprint()}".encode())
        host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(self.base_url).netloc)
        return f"budget-{host}-{digest.hexdigest()[:24]}.sqlite3"

    def default_budget_path(self) -> Path:
        if self.budget_path is not None:
            return self.budget_path
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        return root / "custify-sync" / self.budget_file_name()


def _positive(obj: ConnectionSettings, name: str, where: str, kind: type) -> None:
    value = getattr(obj, name)
    ok_types = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_types) or value <= 0:
        raise ConfigError(f"{where}: {name} must be a positive {kind.__name__}, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """All configured connections, plus the parsed pipelines.toml for the other sections.

    ``project_dir`` is the directory of the config file: relative paths resolve against it and
    every file the engine writes lives under ``state_dir`` (``<project>/.custify-sync``).
    """

    connections: dict[str, ConnectionSettings]
    raw: dict[str, Any] = field(default_factory=dict)
    default: str = DEFAULT_CONNECTION
    #: connections that are declared but incomplete (no key...), with the error to raise
    problems: dict[str, ConfigError] = field(default_factory=dict, repr=False)
    project_dir: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    state_dir: Path | None = None
    #: a named connection's own ``dataset`` option, also for incomplete connections
    datasets: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every declared connection, complete or not, the default first."""
        return list(dict.fromkeys([self.default, *self.connections, *self.problems]))

    def connection(self, name: str | None = None) -> ConnectionSettings:
        name = name or self.default
        if name in self.connections:
            return self.connections[name]
        if name in self.problems:
            raise self.problems[name]
        known = ", ".join(sorted({*self.connections, *self.problems})) or "none"
        raise ConfigError(
            f"unknown Custify connection {name!r}; known: {known} "
            f"(declare it as [custify.connections.{name}] in pipelines.toml)"
        )


def dlt_sections(name: str) -> list[tuple[str, ...]]:
    """Where dlt's conventions keep a connection's values, most specific first."""
    if name == DEFAULT_CONNECTION:
        return [("sources", "custify"), ("custify",)]
    return [("sources", "custify", "connections", name), ("custify", "connections", name)]


def state_dir_of(raw: Mapping[str, Any], project_dir: Path) -> Path:
    """``[warehouse] state_dir`` (relative to the project) or ``<project>/.custify-sync``."""
    value = (raw.get("warehouse") or {}).get("state_dir", DEFAULT_STATE_DIR)
    if not isinstance(value, str) or not value:
        raise ConfigError("[warehouse] state_dir: expected a directory path")
    path = Path(value).expanduser()
    return path if path.is_absolute() else project_dir / path


def load_settings(
    config_path: Path | str | None = None,
    *,
    connection: str | None = None,
    env: Mapping[str, str] = os.environ,
    secrets_path: Path | str | None = None,
    required: bool = False,
) -> Settings:
    """Read ``pipelines.toml`` (default: ./pipelines.toml), dlt's providers for the project
    (``.dlt/`` next to the config) and ``env``. ``required``: the file was named explicitly
    (``-c``), so its absence is an error. With ``connection``, that connection is validated now.

    Precedence, highest first: ``CUSTIFY_[<NAME>_]API_KEY`` / ``_BASE_URL``; dlt's
    ``SOURCES__CUSTIFY__[CONNECTIONS__<NAME>__]API_KEY`` / ``BASE_URL``; ``.dlt/secrets.toml``
    and ``.dlt/config.toml`` (``[sources.custify]``, ``[custify]``, and dlt's global files and
    registered providers); ``pipelines.toml`` for the non-secret ``base_url``.
    """
    config_file = (Path(config_path) if config_path else Path.cwd() / "pipelines.toml").absolute()
    project_dir = config_file.parent
    raw = read_toml(config_file, required=required)
    check_sections(raw, config_file)
    sections = connection_sections(raw, config_file)
    refuse_secrets(sections, config_file)
    options = {
        name: connection_options(name, section, config_file) for name, section in sections.items()
    }
    if secrets_path is not None:  # an explicit file replaces dlt's lookup of .dlt/secrets.toml
        dlt: _ExplicitSecrets | DltValues = _ExplicitSecrets(Path(secrets_path), env)
    else:
        check_dlt_files(project_dir)
        dlt = DltValues(project_dir, env)
    for name in _declared_in_dlt_files(project_dir, secrets_path):
        options.setdefault(name, {})
    state_dir = state_dir_of(raw, project_dir)
    connections: dict[str, ConnectionSettings] = {}
    problems: dict[str, ConfigError] = {}
    for name, opts in options.items():
        try:
            connections[name] = _build(name, opts, dlt, env, config_file, state_dir)
        except ConfigError as exc:
            problems[name] = exc
    datasets = {name: opts["dataset"] for name, opts in options.items() if "dataset" in opts}
    settings = Settings(connections=connections, raw=raw, problems=problems,
                        project_dir=project_dir, config_file=config_file,
                        state_dir=state_dir, datasets=datasets)  # fmt: skip
    if connection is not None:
        settings.connection(connection)
    return settings


class _ExplicitSecrets:
    """A given secrets file instead of dlt's providers (tests and scripts that pass one)."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path, self.env, self.doc = path, env, read_toml(path)

    def get(self, key: str, sections: tuple[str, ...]) -> Found | None:
        name = DltValues.env_name(key, *sections)
        if self.env.get(name):
            return Found(self.env[name], name, from_env=True)
        node: Any = self.doc
        for part in sections:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        value = node.get(key) if isinstance(node, dict) else None
        return Found(value, f"{self.path} [{'.'.join(sections)}] {key}") if value else None


def _declared_in_dlt_files(project_dir: Path, secrets_path: Path | str | None) -> list[str]:
    """Named connections that only dlt's secrets file mentions (a key, no pipelines.toml
    section): they exist, with default options."""
    path = Path(secrets_path) if secrets_path else project_dir / ".dlt" / "secrets.toml"
    doc = read_toml(path)
    names: list[str] = []
    for root in (doc.get("custify"), (doc.get("sources") or {}).get("custify")):
        if isinstance(root, dict) and isinstance(root.get("connections"), dict):
            names += list(root["connections"])
    return list(dict.fromkeys(names))


def _lookup(dlt: Any, name: str, key: str) -> Found | None:
    for sections in dlt_sections(name):
        found = dlt.get(key, sections)
        if found is not None:
            return found
    return None


def _build(
    name: str,
    options: dict[str, Any],
    dlt: Any,
    env: Mapping[str, str],
    file: Path,
    state_dir: Path,
) -> ConnectionSettings:
    options = dict(options)
    url_var = env_name(name, "BASE_URL")
    from_dlt = _lookup(dlt, name, "base_url")
    if env.get(url_var):
        options["base_url"] = validate_base_url(env[url_var], url_var)
    elif from_dlt is not None:
        toml_url = options.get("base_url")
        if (
            not from_dlt.from_env
            and toml_url is not None
            and (toml_url.rstrip("/") != str(from_dlt.value).rstrip("/"))
        ):
            raise ConfigError(
                f"base_url of connection {name!r} is set twice, differently: in {from_dlt.where} "
                f"and in {file} {section_label(name)}; keep one"
            )
        options["base_url"] = validate_base_url(str(from_dlt.value), from_dlt.where)
    elif "base_url" in options:
        where = f"{file} {section_label(name)} base_url"
        options["base_url"] = validate_base_url(options["base_url"], where)
    key = env.get(env_name(name, "API_KEY")) or None
    if key is None:
        found = _lookup(dlt, name, "api_key")
        key = str(found.value) if found is not None else None
    if key is None:
        label = section_label(name)
        dlt_var = DltValues.env_name("api_key", *dlt_sections(name)[0])
        raise ConfigError(
            f"no Custify API key for connection {name!r}: set {env_name(name, 'API_KEY')} "
            f"(or {dlt_var}, or api_key under {label} in .dlt/secrets.toml)"
        )
    budget = options.get("budget_path")
    if budget is not None and not budget.expanduser().is_absolute():
        options["budget_path"] = file.parent / budget  # relative to the toml
    conn = ConnectionSettings(api_key=ApiKey(key), name=name, **options)
    if budget is None:
        conn = dataclasses.replace(conn, budget_path=state_dir / conn.budget_file_name())
    return conn
