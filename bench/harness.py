"""Processes of a benchmark: the sandbox in one, each measured client run in another.

``SandboxProcess`` starts ``python -m bench.server`` and talks to it over stdin/stdout.
``run_client(job, spec)`` runs ``python -m bench.child <job>`` and returns what the child
reported plus what the OS says about that one process: CPU from ``os.wait4`` (the child's own
rusage, threads and waited-for descendants included, never the sandbox's), peak RSS
(``ru_maxrss``) and an RSS timeline sampled with psutil.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    env["DLT_TELEMETRY"] = "false"
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    return env


class SandboxProcess:
    """``python -m bench.server``: a Sandbox served on 127.0.0.1 in its own process."""

    def __init__(self, *, scale: float = 1.0, sizes: dict[str, int] | None = None,
                 latency_ms: float = 0.0, rate_limit: int = 0, seed: int = 6) -> None:  # fmt: skip
        args = [PYTHON, "-m", "bench.server", "--seed", str(seed), "--scale", str(scale),
                "--latency-ms", str(latency_ms), "--rate-limit", str(rate_limit)]  # fmt: skip
        for name, n in (sizes or {}).items():
            args += ["--size", f"{name}={n}"]
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=_env()
        )
        self._lock = threading.Lock()
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError(f"sandbox process exited ({self.proc.wait()}) before it was ready")
        self.info: dict[str, Any] = json.loads(line)
        self.info["start_s"] = round(time.perf_counter() - started, 2)
        self.url: str = self.info["url"]
        self.api_key: str = self.info["api_key"]
        self.counts: dict[str, int] = self.info["counts"]

    def cmd(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        with self._lock:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self.proc.stdin.flush()
            out = json.loads(self.proc.stdout.readline())
        if "error" in out:
            raise RuntimeError(f"sandbox command {cmd}: {out['error']}")
        return out

    def reset(self) -> None:
        self.cmd("reset")

    def journal(self) -> dict[str, Any]:
        return self.cmd("journal")

    def cpu_s(self) -> float:
        """CPU seconds the sandbox process has used so far (to see when IT is the bottleneck)."""
        try:
            t = psutil.Process(self.proc.pid).cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    def rss_mb(self) -> float:
        try:
            return psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except psutil.Error:
            return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ClientRun:
    """One measured client process."""

    job: str
    result: dict[str, Any]
    wall_s: float  # whole process: interpreter start, imports, setup, work
    cpu_s: float  # user + system of the process (its threads and waited-for children)
    user_s: float
    sys_s: float
    max_rss_mb: float  # peak resident set (ru_maxrss)
    rss_timeline: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)
    #: 1-minute load average when the run ended: other work on the machine (others' tests)
    #: stretches wall times; CPU seconds are what to compare then
    loadavg: float = 0.0

    @property
    def work_s(self) -> float:
        return float(self.result["work_s"])

    @property
    def work_cpu_s(self) -> float:
        return float(self.result["work_cpu_s"])


class ClientFailed(RuntimeError):
    pass


#: set by ``bench.run --profile``: every client run is recorded by py-spy into this folder
PROFILE_DIR: Path | None = None
_profiles = 0


def _pyspy(args: list[str], label: str) -> list[str]:
    """``args`` under ``py-spy record --gil`` (samples of the thread holding the GIL: Python CPU;
    native work that releases the GIL, e.g. DuckDB or Arrow kernels, shows only as the call
    that started it)."""
    global _profiles
    assert PROFILE_DIR is not None
    _profiles += 1
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = PROFILE_DIR / f"{_profiles:02d}-{label}.raw"
    pyspy = str(Path(PYTHON).with_name("py-spy"))
    return [pyspy, "record", "--gil", "--nonblocking", "-r", "100", "-f", "raw", "-o", str(out),
            "--", *args]  # fmt: skip


def run_client(job: str, spec: dict[str, Any], *, sample_s: float = 0.2,
               label: str | None = None) -> ClientRun:  # fmt: skip
    """Run ``bench.child <job>`` with ``spec``; raise ``ClientFailed`` with its stderr tail."""
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "out.json")
        err_path = Path(tmp, "stderr.txt")
        spec_path.write_text(json.dumps(spec))
        args = [PYTHON, "-m", "bench.child", job, str(spec_path), str(out_path)]
        if PROFILE_DIR is not None:
            args = _pyspy(args, label or job)
        with err_path.open("w") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(args, cwd=ROOT, env=_env(), stdout=err, stderr=err)
            timeline = _sample_rss(proc.pid, started, sample_s)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            timeline.stop()
        if proc.returncode != 0 or not out_path.exists():
            tail = err_path.read_text()[-4000:]
            raise ClientFailed(f"{job} exited with {proc.returncode}:\n{tail}")
        result = json.loads(out_path.read_text())
    return ClientRun(
        job=job,
        result=result,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024.0,
        rss_timeline=timeline.points,
        loadavg=os.getloadavg()[0],
    )


class _sample_rss:  # noqa: N801 -- used like a function that starts a thread
    """Samples the child's RSS (psutil) every ``every`` seconds until stopped."""

    def __init__(self, pid: int, started: float, every: float) -> None:
        self.points: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._pid, self._started, self._every = pid, started, every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            proc = psutil.Process(self._pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                rss = proc.memory_info().rss / 2**20
            except psutil.Error:
                return
            self.points.append((round(time.perf_counter() - self._started, 2), round(rss, 1)))
            self._stop.wait(self._every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
