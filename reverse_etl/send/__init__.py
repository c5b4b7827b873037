"""Stage 5, sending: diff rows as request units, and every answer as a row outcome.

``sender`` groups rows into units and runs them; ``batch_road`` drives ``POST /batch`` and
confirms its rows only on evidence; ``roads`` remembers across runs that an account refuses
``/batch``.
"""
