"""The Custify API boundary: settings, errors, rate budget, transport, paging, envelopes, client.

See docs/architecture.md (custify sections) and docs/custify-api.md for the API facts.
"""

from custify.client import CustifyClient
from custify.errors import (
    AuthError,
    ConfigError,
    CustifyError,
    FatalError,
    NotFound,
    PaginationError,
    RateLimitedError,
    RecordRejected,
    RetriableError,
    classify,
)
from custify.pagination import Page
from custify.ratelimit import RateBudget
from custify.settings import ApiKey, ConnectionSettings, Settings, load_settings

__all__ = [
    "ApiKey",
    "AuthError",
    "ConfigError",
    "ConnectionSettings",
    "CustifyClient",
    "CustifyError",
    "FatalError",
    "NotFound",
    "Page",
    "PaginationError",
    "RateBudget",
    "RateLimitedError",
    "RecordRejected",
    "RetriableError",
    "Settings",
    "classify",
    "load_settings",
]
