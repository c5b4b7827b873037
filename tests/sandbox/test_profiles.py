"""Named knob sets (sandbox/profiles.py) and the ``shared_emails`` knob: switched on in the
constructor, over ``POST /_sandbox/faults`` and through ``custify-sync sandbox --profile``."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Faults, Sandbox, serve
from sandbox.profiles import PROFILES, knobs
from tests.sandbox.conftest import make_client
from tests.sandbox.sockets import sandbox_banner

CLI = [sys.executable, "-m", "custify_sync.cli"]


def shared(sb: Sandbox) -> dict[str, list[dict]]:
    by_email = defaultdict(list)
    for p in sb.store.rows("people"):
        by_email[p["email"]].append(p)
    return {e: ps for e, ps in by_email.items() if len(ps) > 1}


def test_the_default_account_has_no_shared_emails():
    assert shared(Sandbox(seed=5, scale=0.2, clock=FakeClock(), rate_limit=None)) == {}


def test_shared_emails_makes_n_pairs_with_different_user_ids_deterministically():
    def build():
        return Sandbox(seed=5, scale=0.2, clock=FakeClock(), rate_limit=None,
                       faults=Faults(shared_emails=4))  # fmt: skip

    sb = build()
    pairs = shared(sb)
    assert len(pairs) == 4 and all(len(ps) == 2 for ps in pairs.values())
    for ps in pairs.values():
        uids = {p["user_id"] for p in ps}
        assert None not in uids and len(uids) == 2  # §2 rule 4: different user_ids
    assert shared(build()) == pairs
    other = Sandbox(seed=6, scale=0.2, clock=FakeClock(), rate_limit=None,
                    faults=Faults(shared_emails=4))  # fmt: skip
    assert set(shared(other)) != set(pairs)


def test_a_lookup_by_a_shared_email_finds_the_oldest_and_a_write_by_user_id_keeps_both(sb):
    sb.configure(shared_emails=1)
    ((email, (first, second)),) = shared(sb).items()
    client = make_client(sb)
    got = client.get("/people", params={"email": email}).json()[0]["people"]
    assert [p["id"] for p in got] == [min(first["id"], second["id"])]
    r = client.post("/people", json={"user_id": second["user_id"], "name": "Second"})
    assert r.json()["id"] == second["id"] and len(shared(sb)[email]) == 2


def test_raising_shared_emails_on_a_running_sandbox_adds_pairs_as_a_change(sb, clock):
    sb.configure(shared_emails=1)
    (first_pair,) = shared(sb).values()
    clock.advance(30)
    sb.configure(shared_emails=3)
    pairs = shared(sb)
    assert len(pairs) == 3 and first_pair in pairs.values()
    bumped = [p for ps in pairs.values() for p in ps if p["updated_at"] == sb.now_iso()]
    assert len(bumped) == 2  # the second person of each new pair changed in Custify
    with pytest.raises(ValueError, match="shrink"):
        sb.configure(shared_emails=2)
    assert sb.faults.shared_emails == 3 and len(shared(sb)) == 3


def test_profile_in_the_constructor_sets_its_knobs_and_others_stay():
    sb = Sandbox(seed=5, scale=0.2, clock=FakeClock(), rate_limit=None, profile="unknowns",
                 faults=Faults(latency_s=0.5))  # fmt: skip
    expected = Faults()
    expected.update(**knobs("unknowns"))  # as the knobs store them (a list becomes a set)
    for name in knobs("unknowns"):
        assert getattr(sb.faults, name) == getattr(expected, name), name
    assert sb.faults.latency_s == 0.5 and sb.profile == "unknowns"
    assert len(shared(sb)) == knobs("unknowns")["shared_emails"]
    client = make_client(sb)
    assert client.get("/file").status_code == 403
    assert client.get("/file", params={"companyId": "x"}).status_code == 403


def test_every_profile_value_is_a_knob_the_admin_endpoint_accepts(client):
    for name in PROFILES:
        r = client.post("/_sandbox/faults", json=knobs(name))
        assert r.status_code == 200, (name, r.text)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(KeyError, match="unknowns"):
        Sandbox(seed=1, scale=0.05, clock=FakeClock(), profile="nope")


def test_profile_and_knobs_over_the_admin_endpoint():
    sb = Sandbox(seed=3, scale=0.2, clock=FakeClock(), rate_limit=None)
    with serve(sb) as server:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        with httpx.Client(base_url=server.url, headers=headers) as c:
            assert c.get("/file").status_code == 200
            r = c.post("/_sandbox/faults", json={"profile": "unknowns", "shared_emails": 2})
            assert r.status_code == 200 and r.json()["shared_emails"] == 2  # named knob wins
            info = c.get("/_sandbox/info").json()
            assert info["profile"] == "unknowns"
            assert info["faults"]["forbidden_paths"] == knobs("unknowns")["forbidden_paths"]
            assert c.get("/file").status_code == 403 and len(shared(sb)) == 2
            r = c.post("/_sandbox/faults", json={"profile": "nope"})
            assert r.status_code == 400 and "unknowns" in r.json()["error"]
            r = c.post("/_sandbox/faults", json={"attribute_type_mismatch": "coerce",
                                                 "rate_limit": 50})  # fmt: skip
            assert r.status_code == 200 and sb.rate_limit == 50
            assert sb.faults.attribute_type_mismatch == "coerce"
            r = c.post("/_sandbox/faults", json={"attribute_type_mismatch": "x", "rate_limit": 7})
            assert r.status_code == 400 and sb.rate_limit == 50  # all or nothing


def test_cli_sandbox_serves_the_unknowns_profile(tmp_path: Path):
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", "0", "--seed", "7", "--scale", "0.1", "--rate-limit", "0",
         "--profile", "unknowns"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        url, key = sandbox_banner(proc)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as c:
            assert c.get("/_sandbox/info").json()["profile"] == "unknowns"
            assert c.get("/file").status_code == 403
            people = c.get("/_sandbox/state/people").json()
        emails = [p["email"] for p in people]
        assert len(emails) - len(set(emails)) == knobs("unknowns")["shared_emails"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_cli_sandbox_refuses_an_unknown_profile_in_one_line(tmp_path: Path):
    run = subprocess.run([*CLI, "sandbox", "--port", "0", "--profile", "nope"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: unknown sandbox profile 'nope'; known profiles: unknowns"
    ]
    assert run.stdout == ""
