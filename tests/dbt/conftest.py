"""The dbt tests reuse the reverse-ETL client (on the shared sandbox and FakeClock) and the
deployment fixtures (the real CLI, sandboxes over loopback)."""

from tests.deploy.conftest import cli, home, sandboxes  # noqa: F401
from tests.reverse_etl.conftest import client  # noqa: F401
