"""Stage 3, identification: rows name records the way the user knows them, requests need ids."""
