"""keyway for Apache Airflow: a secrets backend reading connections, variables and configuration from
`keyway serve`, and the small client it uses (`keyway_airflow.client.KeywayClient`, standard library only).

The backend is `keyway_airflow.backend.KeywaySecretsBackend`; it is imported by Airflow by name, so this
package does not import Airflow itself.
"""

from keyway_airflow.client import (
    KeywayAuthError,
    KeywayClient,
    KeywayConfigError,
    KeywayConnectionError,
    KeywayError,
    KeywayExpiredError,
    KeywayPermissionError,
    KeywayRequestError,
    KeywayServerError,
)

__version__ = "0.1.0"

__all__ = [
    "KeywayAuthError",
    "KeywayClient",
    "KeywayConfigError",
    "KeywayConnectionError",
    "KeywayError",
    "KeywayExpiredError",
    "KeywayPermissionError",
    "KeywayRequestError",
    "KeywayServerError",
]
