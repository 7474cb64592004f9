"""The fake Microsoft Entra ID token endpoint: the OAuth 2.0 client-credentials grant.

`POST /{tenant}/oauth2/v2.0/token` takes `client_id`, `client_secret` (or a federated
`client_assertion`), `grant_type=client_credentials` and `scope=https://vault.azure.net/.default`,
and answers like Entra ID: `{"token_type":"Bearer","expires_in":..,"access_token":..}`, or an
`AADSTS` error with `error`, `error_description` and `error_codes`. Also serves the OpenID
discovery document MSAL reads before asking for a token.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

VAULT_RESOURCE = "https://vault.azure.net"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Identity:
    """The one service principal the fake knows."""

    tenant_id: str = "00000000-0000-4000-8000-000000000001"
    client_id: str = "00000000-0000-4000-8000-000000000002"
    client_secret: str = "fake-client-secret"
    # When set, a workload-identity `client_assertion` equal to this is accepted.
    federated_token: str | None = None
    token_lifetime: int = 3599


class TokenError(Exception):
    """An Entra ID error answer."""

    def __init__(self, status: int, error: str, code: int, description: str):
        super().__init__(description)
        self.status = status
        self.payload = {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        }


class TokenIssuer:
    """Issues bearer tokens and checks the ones vault requests carry."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (audience, expiry)
        self.requests = 0

    def issue(self, tenant: str, form: dict[str, str]) -> dict:
        with self.lock:
            self.requests += 1
        ident = self.identity
        if tenant.lower() != ident.tenant_id.lower():
            raise TokenError(
                400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud."
            )
        if form.get("grant_type") != "client_credentials":
            raise TokenError(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if form.get("client_id") != ident.client_id:
            raise TokenError(
                400, "unauthorized_client", 700016, f"Application with identifier '{form.get('client_id')}' "
                "was not found in the directory."
            )
        if "client_assertion" in form:
            if form.get("client_assertion_type") != JWT_BEARER or not ident.federated_token or (
                form["client_assertion"] != ident.federated_token
            ):
                raise TokenError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        elif form.get("client_secret") != ident.client_secret:
            raise TokenError(
                401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID."
            )
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise TokenError(
                400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope')} is not valid. "
                "Client credential flows must have a scope value with /.default suffixed to the resource identifier."
            )
        audience = scopes[0][: -len("/.default")].rstrip("/")
        token = "fake." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (audience, time.time() + ident.token_lifetime)
        return {
            "token_type": "Bearer",
            "expires_in": ident.token_lifetime,
            "ext_expires_in": ident.token_lifetime,
            "access_token": token,
        }

    def grant(self, audience: str = VAULT_RESOURCE, lifetime: int | None = None) -> str:
        """Issues a token directly, for tests that bypass the token endpoint."""
        token = "fake." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (audience, time.time() + (lifetime or self.identity.token_lifetime))
        return token

    def check(self, authorization: str | None) -> str | None:
        """None when the header carries a valid vault token, else the AKV error message."""
        if not authorization or not authorization.startswith("Bearer "):
            return "AKV10000: Request is missing a Bearer or PoP token."
        token = authorization[len("Bearer "):].strip()
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None:
            return "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/..., found unknown."
        audience, expiry = entry
        if audience.lower() != VAULT_RESOURCE:
            return f"AKV10022: Invalid audience. Expected {VAULT_RESOURCE}, found: {audience}."
        if time.time() >= expiry:
            return "AKV10032: Token expired."
        return None

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    def discovery(self, base: str, tenant: str) -> dict:
        """The OpenID Connect discovery document of `tenant`."""
        root = f"{base}/{tenant}"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{root}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }
