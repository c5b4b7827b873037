"""Map every error a user can fix to one line on stderr and an exit code.

0 success, 1 the run finished with rejected or failed records (or failed objects / syncs),
2 usage or configuration error, 75 another run holds the lock (``EX_TEMPFAIL``: try again
later), 130 / 143 stopped by Ctrl-C / SIGTERM at a safe point. Nothing here builds messages
from request data, so the API key cannot leak through it.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from models.stop import Interrupted, StopFlag

EXIT_OK = 0
EXIT_RECORDS_FAILED = 1
EXIT_USAGE = 2
#: another run holds the run lock of this connection's warehouse (sysexits' EX_TEMPFAIL)
EXIT_LOCKED = 75
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "fix your input", imported lazily to keep `--help` fast."""
    from custify.errors import AuthError, ConfigError, FatalError
    from reverse_etl import DeleteGuardError, SyncConfigError
    from warehouse import WarehouseConfigError, WarehouseUnavailable

    return (
        ConfigError,
        AuthError,
        FatalError,
        SyncConfigError,
        DeleteGuardError,
        WarehouseConfigError,
        WarehouseUnavailable,
    )


def _stopped(reason: str) -> NoReturn:
    fail(
        f"stopped by {reason} at a safe point: what was done is saved, the run lock released; "
        "run the same command again to continue",
        EXIT_SIGNAL.get(reason, 130),
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn configuration, auth and warehouse errors into one line and exit code 2."""
    from warehouse.lock import RunLocked

    try:
        yield
    except typer.Exit:
        raise
    except Interrupted as exc:
        _stopped(exc.reason)
    except KeyboardInterrupt:
        _stopped("SIGINT")
    except RunLocked as exc:
        fail(str(exc), EXIT_LOCKED)
    except KeyError as exc:  # registry lookups: "unknown Custify object 'x'; known objects: ..."
        fail(str(exc.args[0]) if exc.args else "unknown name")
    except Exception as exc:
        if isinstance(exc, _usage_errors()):
            fail(str(exc))
        from custify.errors import CustifyError

        if isinstance(exc, CustifyError):  # Custify kept failing (5xx, drops) past the retries
            fail(f"{exc} (Custify kept failing; what was not done stays pending: rerun later)",
                 EXIT_RECORDS_FAILED)  # fmt: skip
        raise


@contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """The first Ctrl-C or SIGTERM asks the run to stop at its next safe point; a second one
    stops at once (Ctrl-C's usual meaning)."""

    def ask(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set(name)
        print(f"{name}: stopping at the next safe point (again to stop now)", file=sys.stderr)

    previous = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_guarded(fn: Callable[[StopFlag], int]) -> None:
    """Run a command with signal-driven stopping and one-line errors; exit with its code.

    A command that finishes its work although a stop was asked for (the signal came after its
    last safe point) ends normally: nothing is left to continue."""
    stop = StopFlag()
    with stop_on_signals(stop), user_errors():
        code = fn(stop)
    if code:
        raise typer.Exit(code)


def eprint(message: str) -> None:
    print(message, file=sys.stderr)
