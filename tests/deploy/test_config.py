"""Configuration as a new user writes it: strict keys, dlt's conventions, fast setup errors."""

from __future__ import annotations

import socket

import duckdb
import pytest

from tests.deploy.conftest import ok, one_error, project

SYNC = '[syncs.crm]\nobject = "people"\nmatch = "user_id"\ntable = "desired"\n'
#: (case, pipelines.toml, extra files, words the one error line must hold)
STRICT = [
    ("warehouse_key", '[warehouse]\ndestinaton = "postgres"\n', {},
     ["[warehouse] destinaton", "did you mean `destination`"]),
    ("top_section", '[warehuose]\ndestination = "duckdb"\n', {},
     ["[warehuose]", "did you mean `warehouse`"]),
    ("syncs_typo", '[sync.crm]\nobject = "people"\n', {}, ["[sync]", "did you mean `syncs`"]),
    ("extract_key", "[extract]\noverlap = 30\n", {}, ["[extract]", "overlap", "overlap_s"]),
    ("sync_key", SYNC + 'tabel = "x"\n', {}, ["[syncs.crm] tabel", "did you mean `table`"]),
    ("custify_key", "[custify]\nrate_limt = 5\n", {}, ["[custify] rate_limt", "`rate_limit`"]),
    ("sync_connection", SYNC + 'connection = "stagin"\n', {},
     ["[syncs.crm] connection", "stagin"]),
    ("dlt_secrets_key", "", {".dlt/secrets.toml": '[sources.custify]\napi_kye = "x"\n'},
     ["secrets.toml", "[sources.custify]", "api_kye", "did you mean `api_key`"]),
    ("dlt_config_key", "", {".dlt/config.toml": '[sources.custify]\nbase_ur = "x"\n'},
     ["config.toml", "base_ur", "did you mean `base_url`"]),
    ("connection_name", "[custify.connections.'bad name']\n", {}, ["connection names"]),
    ("same_dataset", '[custify.connections.b]\ndataset = "custify"\n', {},
     ["'default' and 'b'", "dataset 'custify'"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "toml", "files", "words"), STRICT, ids=[c[0] for c in STRICT])
def test_every_unknown_key_is_exit_2_naming_it(tmp_path, cli, sandboxes, case, toml, files, words):
    served = sandboxes(41)
    d = project(tmp_path / case, toml, files=files)
    for command in (["extract"], ["push"], ["status"]):
        one_error(cli(d, *command, env=served.env()), 2, *words)
    assert len(served.sb.journal) == 0  # nothing was sent
    assert not (d / "custify.duckdb").exists() and not (d / ".custify-sync" / "dlt").exists()


def test_a_missing_config_file_is_exit_2(tmp_path, cli, sandboxes):
    served = sandboxes(42)
    d = project(tmp_path / "p")
    one_error(cli(d, "extract", "-c", "missing.toml", env=served.env()), 2, "missing.toml",
              "does not exist")  # fmt: skip
    assert len(served.sb.journal) == 0 and not (d / "custify.duckdb").exists()


@pytest.mark.parametrize(
    ("env_style", "files"),
    [
        ("env", {}),
        ("files", {}),
    ],
)
def test_dlt_conventions_work_without_any_custify_variable(tmp_path, cli, sandboxes, env_style,
                                                           files):  # fmt: skip
    served = sandboxes(43)
    if env_style == "env":
        env = {"SOURCES__CUSTIFY__API_KEY": served.key, "SOURCES__CUSTIFY__BASE_URL": served.url}
        d = project(tmp_path / "p")
    else:
        env = {}
        d = project(tmp_path / "p", files={
            ".dlt/secrets.toml": f'[sources.custify]\napi_key = "{served.key}"\n',
            ".dlt/config.toml": f'[sources.custify]\nbase_url = "{served.url}"\n',
        })  # fmt: skip
    ok(cli(d, "extract", "--objects", "people", env=env))
    assert served.sb.journal.count() > 0  # the base URL came from dlt's config, not production
    with duckdb.connect(str(d / "custify.duckdb"), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM custify.custify.people").fetchone()
    assert n == served.sb.store.count("people")


def test_a_named_connection_through_dlt_conventions(tmp_path, cli, sandboxes):
    served = sandboxes(44)
    d = project(tmp_path / "p", "[custify.connections.eu]\n")
    env = {"SOURCES__CUSTIFY__CONNECTIONS__EU__API_KEY": served.key,
           "SOURCES__CUSTIFY__CONNECTIONS__EU__BASE_URL": served.url}  # fmt: skip
    ok(cli(d, "extract", "--objects", "companies", "--connection", "eu", env=env))
    with duckdb.connect(str(d / "custify.duckdb"), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM custify.custify_eu.companies").fetchone()
    assert n == served.sb.store.count("companies")


def test_env_wins_over_dlt_files_and_a_url_set_twice_is_refused(tmp_path, cli, sandboxes):
    served, other = sandboxes(45), sandboxes(46)
    files = {".dlt/config.toml": f'[sources.custify]\nbase_url = "{other.url}"\n'}
    d = project(tmp_path / "p", files=files)
    ok(cli(d, "extract", "--objects", "companies", env=served.env()))  # CUSTIFY_BASE_URL wins
    assert served.sb.journal.count() > 0 and other.sb.journal.count() == 0
    twice = project(tmp_path / "q", f'[custify]\nbase_url = "{served.url}"\n', files=files)
    one_error(cli(twice, "extract", env={"CUSTIFY_API_KEY": served.key}), 2, "set twice",
              "config.toml", "pipelines.toml")  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "cause"),
    [("http://127.0.0.1:{closed}", "refused"), ("https://custify.invalid", "DNS")],
)
def test_an_unreachable_url_is_exit_2_without_minutes_of_retries(tmp_path, cli, url, cause):
    url = url.format(closed=_closed_port())
    d = project(tmp_path / "p", SYNC)
    env = {"CUSTIFY_API_KEY": "sk_x", "CUSTIFY_BASE_URL": url}
    for command in (["extract"], ["push", "--dry-run"]):
        # the subprocess timeout is the requirement itself: retries with backoff would take
        # minutes; it leaves room for the CLI's start-up on a loaded two-core machine
        done = cli(d, *command, env=env, timeout=40)
        one_error(done, 2, "CUSTIFY_BASE_URL", cause)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("dsn", "words"),
    [
        ("postgresql://postgres@127.0.0.1:5432/test", ["password", "DESTINATION__POSTGRES__"]),
        ("postgresql://postgres:x@127.0.0.1:5432/no_such_db", ["no_such_db", "does not exist"]),
        ("postgresql://postgres:x@127.0.0.1:{closed}/test", ["refused"]),
    ],
)
def test_warehouse_errors_give_the_drivers_reason(tmp_path, cli, sandboxes, postgres_available,
                                                  dsn, words):  # fmt: skip
    dsn = dsn.format(closed=_closed_port())
    served = sandboxes(47)
    d = project(tmp_path / "p", '[warehouse]\ndestination = "postgres"\n')
    done = cli(d, "extract", env={**served.env(), "DESTINATION__POSTGRES__CREDENTIALS": dsn})
    line = one_error(done, 2, *words)
    assert ":x@" not in line  # a password in the DSN never shows
    assert len(served.sb.journal) == 0


def test_a_dry_run_proves_the_key_with_one_request(tmp_path, cli, sandboxes):
    served = sandboxes(48)
    d = project(tmp_path / "p", SYNC)
    one_error(cli(d, "push", "--dry-run", env={**served.env(), "CUSTIFY_API_KEY": "sk_wrong"}),
              2, "API key")  # fmt: skip
    assert [(e.status) for e in served.sb.journal] == [401]
