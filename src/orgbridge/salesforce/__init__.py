"""Salesforce OAuth connections and the async REST client.

``parse_connection_config`` reads one ``[orgs.NAME]`` table; ``SalesforceClient``
talks to that org. Errors are in ``orgbridge.salesforce.errors``.
"""

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.collections import RecordError, RecordResult
from orgbridge.salesforce.connections import (
    ConnectionConfig,
    parse_connection_config,
    parse_connections,
)
from orgbridge.salesforce.limits import ApiUsage
from orgbridge.salesforce.query import QueryPage
from orgbridge.salesforce.retry import RetryPolicy
from orgbridge.salesforce.secrets import Secret, SecretRef

__all__ = [
    "ApiUsage",
    "ConnectionConfig",
    "QueryPage",
    "RecordError",
    "RecordResult",
    "RetryPolicy",
    "SalesforceClient",
    "Secret",
    "SecretRef",
    "parse_connection_config",
    "parse_connections",
]
