"""POST /batch and GET /batch/{id} (§15). Filled in below."""


def routes():
    return []
