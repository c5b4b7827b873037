"""Which rate budget a connection gets (``[custify] budget_backend``): one factory.

``sqlite`` is ``custify.ratelimit.RateBudget`` (a file under the project directory, shared by
the processes of one machine); ``postgres`` is ``custify.ratelimit_pg.PostgresBudget`` (a
table in the warehouse's PostgreSQL, shared across machines).
"""

from __future__ import annotations

from custify.errors import ConfigError
from custify.ratelimit import RateBudget, SlidingWindowBudget, account_key
from custify.settings import ConnectionSettings
from models.clock import Clock

__all__ = ["BACKENDS", "make_budget"]

BACKENDS = ("sqlite", "postgres")


def make_budget(
    settings: ConnectionSettings, *, clock: Clock | None = None, postgres_dsn: str | None = None
) -> SlidingWindowBudget:
    """The budget ``settings.budget_backend`` names, for the account of ``settings``.

    ``postgres_dsn`` is the warehouse's PostgreSQL (dlt's postgres credentials); only the
    ``postgres`` backend needs it.
    """
    where = f"connection {settings.name!r}: budget_backend"
    backend = settings.budget_backend
    if backend == "sqlite":
        return RateBudget(
            settings.rate_limit,
            settings.rate_window_s,
            path=settings.default_budget_path(),
            clock=clock,
            safety_s=settings.rate_safety_s,
        )
    if backend == "postgres":
        if not postgres_dsn:
            raise ConfigError(
                f'{where} = "postgres" needs the warehouse\'s PostgreSQL: set '
                "DESTINATION__POSTGRES__CREDENTIALS (or [destination.postgres] credentials "
                "in .dlt/secrets.toml)"
            )
        from custify.ratelimit_pg import PostgresBudget  # psycopg2 only when it is used

        return PostgresBudget(
            settings.rate_limit,
            settings.rate_window_s,
            dsn=postgres_dsn,
            account=account_key(settings),
            clock=clock,
            safety_s=settings.rate_safety_s,
        )
    raise ConfigError(f"{where} must be one of {', '.join(BACKENDS)}, got {backend!r}")
