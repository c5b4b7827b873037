"""Stage 2, validation: rows checked against pandera schemas generated from the registry.

``schema`` builds the schema and splits valid from rejected rows; ``attributes`` knows the types
custom attributes already have in Custify; ``uploads`` confines upload paths to ``files_dir``.
"""
