"""Stage 4, the diff: desired rows against what Custify holds, one diff row per change.

``payload`` builds each row's key, request JSON and hash; ``changes`` decides the ops per sync
kind and holds back what the ledger says must wait; ``compare`` compares one field in its
read-back form; ``drift`` compares appended items Custify reads back elsewhere (scores).
"""
