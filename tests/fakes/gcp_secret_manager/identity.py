"""Google's token side for the fake: a service account whose key is generated at start, the OAuth
token endpoint's JWT-bearer grant (RFC 7523, RS256 assertions as Google's libraries sign them),
and the GCE metadata server's token endpoint.

Issued tokens are opaque random strings the Secret Manager side accepts until they expire or are
revoked.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class TokenError(Exception):
    """An OAuth error answer: `{"error": .., "error_description": ..}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.payload = {"error": error, "error_description": description}


class ServiceAccount:
    """The one service account the fake knows, with a fresh RSA key."""

    def __init__(self, project_id: str, email: str | None = None) -> None:
        self.project_id = project_id
        self.email = email or f"keyway-test@{project_id}.iam.gserviceaccount.com"
        self.key_id = secrets.token_hex(20)
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def key_file(self, token_uri: str) -> dict:
        """The JSON key file, as the Cloud console downloads it."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.key_id,
            "private_key": pem,
            "client_email": self.email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com",
        }

    def write_key_file(self, path: Path, token_uri: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.key_file(token_uri), indent=2))
        path.chmod(0o600)
        return path


class TokenIssuer:
    """Issues, checks and revokes access tokens."""

    def __init__(self, account: ServiceAccount, lifetime: int = 3600) -> None:
        self.account = account
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.requests = 0
        self.metadata_requests = 0

    def grant(self, lifetime: int | None = None) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + (lifetime or self.lifetime)
        return token

    def _answer(self, lifetime: int | None = None) -> dict:
        lifetime = lifetime or self.lifetime
        return {"access_token": self.grant(lifetime), "expires_in": lifetime, "token_type": "Bearer"}

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    def check(self, authorization: str | None) -> str | None:
        """None when the header carries a live token, else why not."""
        if not authorization or not authorization.startswith("Bearer "):
            return "Request is missing required authentication credential. Expected OAuth 2 access token."
        token = authorization[len("Bearer "):].strip()
        with self.lock:
            expires = self.tokens.get(token)
        if expires is None and token.count(".") == 2:
            expires = self._self_signed_expiry(token)
        if expires is None or expires < time.time():
            return "Request had invalid authentication credentials. Expected OAuth 2 access token."
        return None

    def _self_signed_expiry(self, token: str) -> float | None:
        """A self-signed JWT (what Google's client libraries send for a service-account key instead
        of asking the token endpoint): valid when the account's key signed it; its `exp`."""
        header_part, claims_part, signature_part = token.split(".")
        try:
            claims = json.loads(_b64url_decode(claims_part))
            self.account.private_key.public_key().verify(
                _b64url_decode(signature_part), f"{header_part}.{claims_part}".encode(), padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            return None
        if claims.get("iss") != self.account.email or not (claims.get("aud") or claims.get("scope")):
            return None
        return float(claims.get("exp", 0))

    def token_endpoint(self, form: dict[str, str], token_uri: str) -> dict:
        """`POST /token` with the JWT-bearer grant."""
        with self.lock:
            self.requests += 1
        if form.get("grant_type") != JWT_BEARER:
            raise TokenError(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        assertion = form.get("assertion", "")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise TokenError(400, "invalid_grant", "Invalid JWT: not a JWS compact serialization.")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            raise TokenError(400, "invalid_grant", "Invalid JWT: undecodable segment.") from None
        if header.get("alg") != "RS256":
            raise TokenError(400, "invalid_grant", "Invalid JWT: alg must be RS256.")
        if claims.get("iss") != self.account.email:
            raise TokenError(400, "invalid_grant", "Invalid grant: account not found")
        try:
            self.account.private_key.public_key().verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.") from None
        now = time.time()
        # google-auth always names Google's token URI as the audience, whatever the key's token_uri.
        if claims.get("aud") not in (token_uri, GOOGLE_TOKEN_URI):
            raise TokenError(400, "invalid_grant", "Invalid JWT: audience must be the token endpoint.")
        if not (now - 300 <= float(claims.get("iat", 0)) <= now + 300) or float(claims.get("exp", 0)) < now:
            raise TokenError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                             "a reasonable timeframe.")
        if float(claims["exp"]) - float(claims["iat"]) > 3600:
            raise TokenError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes).")
        if not claims.get("scope"):
            raise TokenError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return self._answer()

    def metadata_info(self, headers) -> tuple[int, dict | str]:
        """`GET /computeMetadata/v1/instance/service-accounts/default/?recursive=true`."""
        if headers.get("Metadata-Flavor") != "Google":
            return 403, "Missing required header: Metadata-Flavor"
        return 200, {"aliases": ["default"], "email": self.account.email, "scopes": [CLOUD_PLATFORM]}

    def metadata_token(self, headers) -> tuple[int, dict | str]:
        """`GET /computeMetadata/v1/instance/service-accounts/default/token`."""
        with self.lock:
            self.metadata_requests += 1
        if headers.get("Metadata-Flavor") != "Google":
            return 403, "Missing required header: Metadata-Flavor"
        return 200, self._answer()
