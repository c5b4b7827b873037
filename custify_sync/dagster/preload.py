"""Builds ``custify_sync.dagster.defs`` once, for the multiprocess executor's forkserver.

With ``start_method: forkserver: preload_modules: [custify_sync.dagster.preload]`` every step
process forks from a process that imported Dagster, dlt and the engine and built the
definitions already: a step then loads ``custify_sync.dagster`` from its parent's memory
instead of importing everything and building every connection's assets again (seconds of CPU
per step, paid once per account per run on a small machine).
"""

import custify_sync.dagster

custify_sync.dagster.defs  # noqa: B018  (built and cached by the package)
