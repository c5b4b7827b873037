"""The dbt tests reuse the ELT fixtures (a sandbox and a client on one FakeClock, both
warehouses) and the deployment ones (the real CLI, sandboxes over loopback)."""

from tests.deploy.conftest import cli, home, sandboxes  # noqa: F401
from tests.reverse_etl.conftest import client, clock, sandbox  # noqa: F401
