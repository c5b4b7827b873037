"""Errors of the reverse ETL, by their reach.

``SyncConfigError`` and ``DeleteGuardError`` stop the whole push before anything is sent (exit
code 2): they subclass ``custify.errors.ConfigError`` so every caller that already maps
configuration errors (the CLI, the demo) handles them without knowing this package.
``SyncSourceError`` is what one sync's source turns out to be at run time (a missing table, a
failing query, a column that does not map): that sync fails alone, the others go (exit 1).
"""

from __future__ import annotations

from custify.errors import ConfigError


class SyncConfigError(ConfigError):
    """A ``[syncs.<name>]`` section, its source or its mapping is wrong; nothing was sent.

    The message is one line naming the key to fix, e.g. ``[syncs.crm_people] match``.
    """


class DeleteGuardError(SyncConfigError):
    """A sync would delete more than ``max_delete_share`` of its target: the run stops unsent.

    Deletes in Custify are permanent GDPR deletes (custify-api.md §2, §3); a share that large
    usually means an empty or broken source query, not an intent.
    """


class SyncSourceError(RuntimeError):
    """One sync's source broke at run time; the message names the sync and the key to check."""
