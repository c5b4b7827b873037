"""custify.settings: where each option comes from, and one clear line for each mistake."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from custify.settings import ApiKey, ConfigError, ConnectionSettings, load_settings

KEY = "sk_live_0123456789abcdef"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path / "pipelines.toml",
        """
[custify]
timeout_s = 12
rate_limit = 50
rate_window_s = 5
concurrency = 4

[custify.connections.staging]
base_url = "https://eu.custify.example"

[custify.connections.production]
rate_limit = 1000

[extract]
objects = ["people"]
""",
    )
    write(
        tmp_path / ".dlt/secrets.toml",
        f"""
[custify]
api_key = "{KEY}"

[custify.connections.staging]
api_key = "sk_staging"
""",
    )
    return tmp_path / "pipelines.toml"


def test_default_connection_reads_toml_and_secrets(project: Path) -> None:
    s = load_settings(project, env={})
    c = s.connection()
    assert c.name == "default"
    assert c.api_key.reveal() == KEY
    assert (c.timeout_s, c.rate_limit, c.rate_window_s, c.concurrency) == (12.0, 50, 5.0, 4)
    assert c.base_url == "https://api.custify.com"
    assert s.raw["extract"]["objects"] == ["people"]


def test_named_connection(project: Path) -> None:
    staging = load_settings(project, env={}).connection("staging")
    assert staging.base_url == "https://eu.custify.example"
    assert staging.api_key.reveal() == "sk_staging"
    assert staging.rate_limit == 100  # named connections do not inherit [custify] options


def test_env_wins_over_files(project: Path) -> None:
    env = {
        "CUSTIFY_API_KEY": "sk_from_env",
        "CUSTIFY_BASE_URL": "https://other.custify.example/",
        "CUSTIFY_STAGING_API_KEY": "sk_staging_env",
        "CUSTIFY_STAGING_BASE_URL": "http://127.0.0.1:8080",
    }
    s = load_settings(project, env=env)
    assert s.connection().api_key.reveal() == "sk_from_env"
    assert s.connection().base_url == "https://other.custify.example"
    assert s.connection("staging").api_key.reveal() == "sk_staging_env"
    assert s.connection("staging").base_url == "http://127.0.0.1:8080"


def test_env_only_without_files(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "pipelines.toml", env={"CUSTIFY_API_KEY": KEY})
    assert s.connection().api_key.reveal() == KEY


def test_missing_key_names_the_variable(project: Path, tmp_path: Path) -> None:
    (tmp_path / ".dlt/secrets.toml").unlink()
    s = load_settings(project, env={})
    with pytest.raises(ConfigError, match="set CUSTIFY_API_KEY") as exc:
        s.connection()
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="CUSTIFY_PRODUCTION_API_KEY"):
        s.connection("production")
    with pytest.raises(ConfigError, match="set CUSTIFY_API_KEY"):
        load_settings(project, env={}, connection="default")


def test_unknown_connection_lists_known(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown Custify connection 'prod'.*production"):
        load_settings(project, env={}).connection("prod")


def test_secret_in_pipelines_toml_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "pipelines.toml", f'[custify.connections.prod]\napi_key = "{KEY}"\n')
    with pytest.raises(ConfigError, match=r"move it to \.dlt/secrets\.toml") as exc:
        load_settings(cfg, env={})
    assert KEY not in str(exc.value)
    assert "CUSTIFY_PROD_API_KEY" in str(exc.value)


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "pipelines.toml", '[custify]\ntimeout_s = 3\nbase_url = "x\n')
    with pytest.raises(ConfigError, match=r"pipelines\.toml:3: invalid TOML"):
        load_settings(cfg, env={})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://api.custify.com", "malformed"),
        ("api.custify.com", "malformed"),
        ("https://", "malformed"),
        ("http://api.custify.com", "plain http"),
        ("http://10.0.0.5:8000", "plain http"),
    ],
)
def test_bad_base_urls_are_refused(tmp_path: Path, url: str, message: str) -> None:
    cfg = write(tmp_path / "pipelines.toml", f'[custify]\nbase_url = "{url}"\n')
    s = load_settings(cfg, env={"CUSTIFY_API_KEY": KEY})
    with pytest.raises(ConfigError, match=message) as exc:
        s.connection()
    assert "[custify] base_url" in str(exc.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000", "http://127.8.9.10", "http://localhost:1", "http://[::1]:80"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert ConnectionSettings(api_key=ApiKey(KEY), base_url=url).base_url == url


def test_env_base_url_error_names_the_variable(tmp_path: Path) -> None:
    env = {"CUSTIFY_API_KEY": KEY, "CUSTIFY_BASE_URL": "http://example.com"}
    with pytest.raises(ConfigError, match="CUSTIFY_BASE_URL"):
        load_settings(tmp_path / "pipelines.toml", env=env, connection="default")


def test_unknown_and_mistyped_options(tmp_path: Path) -> None:
    cfg = write(tmp_path / "pipelines.toml", "[custify]\ntimout_s = 3\n")
    with pytest.raises(ConfigError, match=r"\[custify\] timout_s: unknown option"):
        load_settings(cfg, env={"CUSTIFY_API_KEY": KEY}).connection()
    cfg = write(tmp_path / "pipelines.toml", '[custify]\nrate_limit = "many"\n')
    with pytest.raises(ConfigError, match="rate_limit: expected int"):
        load_settings(cfg, env={"CUSTIFY_API_KEY": KEY}).connection()
    with pytest.raises(ConfigError, match="rate_limit must be a positive int"):
        ConnectionSettings(api_key=ApiKey(KEY), rate_limit=0)


def test_budget_path_is_per_account_and_never_holds_the_key() -> None:
    a = ConnectionSettings(api_key=ApiKey(KEY)).default_budget_path()
    b = ConnectionSettings(api_key=ApiKey(KEY + "x")).default_budget_path()
    c = ConnectionSettings(api_key=ApiKey(KEY), base_url="https://eu.custify.example")
    assert a != b != c.default_budget_path()
    assert a == ConnectionSettings(api_key=ApiKey(KEY)).default_budget_path()
    assert KEY not in str(a) and "api.custify.com" in a.name


class TestApiKey:
    def test_masks_itself_everywhere(self) -> None:
        key = ApiKey(KEY)
        texts = (repr(key), str(key), f"{key}", f"{key:>40}", "%s" % key, format(key, ""))  # noqa: UP031
        for text in texts:
            assert KEY not in text
        assert repr(key) == "ApiKey('***')" and str(key) == "***"
        assert KEY.encode() not in pickle.dumps(key)
        settings = ConnectionSettings(api_key=key)
        assert KEY not in repr(settings) and KEY.encode() not in pickle.dumps(settings)

    def test_reveal_and_equality(self) -> None:
        assert ApiKey(KEY).reveal() == KEY
        assert ApiKey(KEY) == ApiKey(KEY) and ApiKey(KEY) != ApiKey("other")
        assert len({ApiKey(KEY), ApiKey(KEY)}) == 1
        with pytest.raises(AttributeError):
            ApiKey(KEY)._value = "x"  # type: ignore[misc]

    def test_unpickled_key_is_masked_and_says_why(self) -> None:
        clone = pickle.loads(pickle.dumps(ApiKey(KEY)))
        with pytest.raises(ConfigError, match="load settings in this process"):
            clone.reveal()


def test_relative_budget_path_is_relative_to_the_config(tmp_path: Path) -> None:
    cfg = write(tmp_path / "conf/pipelines.toml", '[custify]\nbudget_path = "state/b.sqlite3"\n')
    c = load_settings(cfg, env={"CUSTIFY_API_KEY": KEY}).connection()
    assert c.budget_path == tmp_path / "conf/state/b.sqlite3"
