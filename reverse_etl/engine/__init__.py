"""The commands that drive the stages: ``push`` (plan every sync, then send ledgered waves),
``status`` (read the ledger) and ``forget`` (one person out of Custify and the warehouse).

``plan`` runs one sync through source, validate, identify and diff; ``context`` is what one
push shares across its syncs; ``report`` what it did; ``stages`` the seconds each stage took.
"""
