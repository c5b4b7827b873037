"""Connection settings: the one module that reads pipelines.toml, .dlt/secrets.toml and the env.

Settings are passed in, never looked up elsewhere (design.md). Non-secret options live in
``pipelines.toml`` under ``[custify]`` (the default connection) and
``[custify.connections.<name>]`` (named connections such as production and staging). The key
lives in ``.dlt/secrets.toml`` or the environment (``CUSTIFY_API_KEY``,
``CUSTIFY_<NAME>_API_KEY``), which wins. Custify has regional clusters, so the base URL is
configurable too (custify-api.md §1.1). Every problem is one line naming the key to fix.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from custify.errors import ConfigError

__all__ = ["ApiKey", "ConfigError", "ConnectionSettings", "Settings", "load_settings"]

DEFAULT_BASE_URL = "https://api.custify.com"
DEFAULT_CONNECTION = "default"
_MASK = "***"


class ApiKey:
    """A Custify API key that never shows itself: repr, str, format and pickle all give ``***``.

    Only ``reveal()`` returns the secret (the transport calls it to build the bearer header).
    A pickled key arrives masked: processes must load their own settings (``load_settings``).
    """

    __slots__ = ("_value",)

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
    None means one file per base URL + key fingerprint under ``~/.cache/custify-sync/``.
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

    def default_budget_path(self) -> Path:
        """One SQLite file per account: base URL + SHA-256 of the key, never the key itself."""
        if self.budget_path is not None:
            return self.budget_path
        digest = hashlib.sha256(f"{self.base_url}\0{self.api_key.fingerprint()}".encode())
        host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(self.base_url).netloc)
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        return root / "custify-sync" / f"budget-{host}-{digest.hexdigest()[:24]}.sqlite3"


def _positive(obj: ConnectionSettings, name: str, where: str, kind: type) -> None:
    value = getattr(obj, name)
    ok_types = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_types) or value <= 0:
        raise ConfigError(f"{where}: {name} must be a positive {kind.__name__}, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """All configured connections, plus the parsed pipelines.toml for the other sections."""

    connections: dict[str, ConnectionSettings]
    raw: dict[str, Any] = field(default_factory=dict)
    default: str = DEFAULT_CONNECTION
    #: connections that are declared but incomplete (no key...), with the error to raise
    problems: dict[str, ConfigError] = field(default_factory=dict, repr=False)

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


def env_name(connection: str, suffix: str) -> str:
    """``CUSTIFY_API_KEY`` for the default connection, ``CUSTIFY_<NAME>_API_KEY`` otherwise."""
    if connection == DEFAULT_CONNECTION:
        return f"CUSTIFY_{suffix}"
    return f"CUSTIFY_{re.sub(r'[^A-Za-z0-9]', '_', connection).upper()}_{suffix}"


_SECRET_KEYS = re.compile(r"(api_?key|secret|token|password)", re.IGNORECASE)
_OPTIONS: dict[str, type] = {
    "base_url": str,
    "timeout_s": float,
    "connect_timeout_s": float,
    "rate_limit": int,
    "rate_window_s": float,
    "rate_safety_s": float,
    "max_retries": int,
    "max_backoff_s": float,
    "concurrency": int,
    "budget_path": Path,
}


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes ``file:line: message``."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = match.group(1) if match else "?"
        reason = re.sub(r"\s*\(at line .*\)$", "", str(exc))
        raise ConfigError(f"{path}:{line}: invalid TOML: {reason}") from None


def _sections(doc: dict[str, Any], file: Path) -> dict[str, dict[str, Any]]:
    """``{name: options}`` for the default ``[custify]`` and each ``[custify.connections.*]``."""
    custify = doc.get("custify", {})
    if not isinstance(custify, dict):
        raise ConfigError(f"{file}: [custify] must be a table")
    named = custify.get("connections", {})
    if not isinstance(named, dict) or not all(isinstance(v, dict) for v in named.values()):
        raise ConfigError(f"{file}: [custify.connections.<name>] entries must be tables")
    out = {DEFAULT_CONNECTION: {k: v for k, v in custify.items() if k != "connections"}}
    out.update(named)
    return out


def _section_label(name: str) -> str:
    return "[custify]" if name == DEFAULT_CONNECTION else f"[custify.connections.{name}]"


def _options(name: str, section: dict[str, Any], file: Path) -> dict[str, Any]:
    """Typed non-secret options of one section; a secret or an unknown key is refused."""
    out: dict[str, Any] = {}
    for key, value in section.items():
        where = f"{file} {_section_label(name)} {key}"
        if key not in _OPTIONS:
            raise ConfigError(f"{where}: unknown option; known: {', '.join(sorted(_OPTIONS))}")
        kind = _OPTIONS[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is Path and isinstance(value, str):
            value = Path(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")
        out[key] = value
    return out


def _refuse_secrets(sections: dict[str, dict[str, Any]], file: Path) -> None:
    """A key in pipelines.toml (committed to git) is refused at load, whatever connection."""
    for name, section in sections.items():
        for key in section:
            if _SECRET_KEYS.search(key):
                raise ConfigError(
                    f"{file} {_section_label(name)} {key}: secrets do not belong in "
                    f"pipelines.toml; move it to .dlt/secrets.toml or the "
                    f"{env_name(name, 'API_KEY')} environment variable"
                )


def _secret(name: str, secrets: dict[str, dict[str, Any]], env: Mapping[str, str]) -> str | None:
    value = env.get(env_name(name, "API_KEY"))
    if value:
        return value
    value = secrets.get(name, {}).get("api_key")
    return value if isinstance(value, str) and value else None


def load_settings(
    config_path: Path | str | None = None,
    *,
    connection: str | None = None,
    env: Mapping[str, str] = os.environ,
    secrets_path: Path | str | None = None,
) -> Settings:
    """Read ``pipelines.toml`` (default: ./pipelines.toml), ``.dlt/secrets.toml`` next to it,
    and ``env`` (which wins). With ``connection``, that connection is validated now."""
    config_file = Path(config_path) if config_path else Path.cwd() / "pipelines.toml"
    secrets_file = Path(secrets_path) if secrets_path else config_file.parent / ".dlt/secrets.toml"
    raw = _read_toml(config_file)
    sections = _sections(raw, config_file)
    _refuse_secrets(sections, config_file)
    secrets = _sections(_read_toml(secrets_file), secrets_file)
    for name in secrets:
        sections.setdefault(name, {})
    connections: dict[str, ConnectionSettings] = {}
    problems: dict[str, ConfigError] = {}
    for name, section in sections.items():
        try:
            connections[name] = _build(name, section, secrets, env, config_file)
        except ConfigError as exc:
            problems[name] = exc
    settings = Settings(connections=connections, raw=raw, problems=problems)
    if connection is not None:
        settings.connection(connection)
    return settings


def _build(
    name: str,
    section: dict[str, Any],
    secrets: dict[str, dict[str, Any]],
    env: Mapping[str, str],
    file: Path,
) -> ConnectionSettings:
    options = _options(name, section, file)
    url_var = env_name(name, "BASE_URL")
    if env.get(url_var):
        options["base_url"] = validate_base_url(env[url_var], url_var)
    elif "base_url" in options:
        where = f"{file} {_section_label(name)} base_url"
        options["base_url"] = validate_base_url(options["base_url"], where)
    key = _secret(name, secrets, env)
    if key is None:
        label = _section_label(name)
        raise ConfigError(
            f"no Custify API key for connection {name!r}: set {env_name(name, 'API_KEY')} "
            f"or api_key under {label} in .dlt/secrets.toml"
        )
    if "budget_path" in options and not options["budget_path"].expanduser().is_absolute():
        options["budget_path"] = file.parent / options["budget_path"]  # relative to the toml
    return ConnectionSettings(api_key=ApiKey(key), name=name, **options)
