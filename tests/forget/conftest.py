"""The forget tests reuse the reverse-ETL fixtures: a client on the shared sandbox and FakeClock and
a ``Pusher`` on DuckDB or the real PostgreSQL; and the deployment fixtures (the real CLI in a
project directory, sandboxes over loopback)."""

from tests.deploy.conftest import cli, home, sandboxes  # noqa: F401
from tests.reverse_etl.conftest import any_pusher, client, pusher  # noqa: F401
