"""Stage 1, the source: what Custify should hold, read from the warehouse as a ``Desired`` frame.

``desired`` reads a table or query and maps its columns to field paths; ``explicit`` reads a
ready diff table (``diff_table``).
"""
