"""Map every error a user can fix to one line on stderr and an exit code (design.md).

0 success, 1 the run finished with rejected or failed records, 2 usage or configuration error.
Nothing here builds messages from request data, so the API key cannot leak through it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

EXIT_OK = 0
EXIT_RECORDS_FAILED = 1
EXIT_USAGE = 2


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


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn configuration, auth and warehouse errors into one line and exit code 2."""
    try:
        yield
    except typer.Exit:
        raise
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


def run_guarded(fn: Callable[[], int]) -> None:
    with user_errors():
        code = fn()
    if code:
        raise typer.Exit(code)


def eprint(message: str) -> None:
    print(message, file=sys.stderr)
