"""Pytest fixtures: a fake Key Vault over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import FakeKeyVault  # noqa: E402


class Controls:
    """Calls the fake's `/_fake/` test controls."""

    def __init__(self, fake: FakeKeyVault) -> None:
        self.fake = fake

    def __call__(self, action: str, **body) -> dict:
        import ssl

        context = ssl.create_default_context(cafile=str(self.fake.ca_path))
        request = urllib.request.Request(
            f"{self.fake.url}/_fake/{action}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture()
def fake(tmp_path: Path):
    server = FakeKeyVault(cert_dir=tmp_path / "pki").start()
    yield server
    server.stop()


@pytest.fixture()
def controls(fake: FakeKeyVault) -> Controls:
    return Controls(fake)
