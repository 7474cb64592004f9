"""Pytest fixtures: a fake Conjur over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import json
import ssl
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conjur_server import FakeConjur  # noqa: E402


class ConjurControls:
    """Calls the fake's `/_fake/` test controls."""

    def __init__(self, fake: FakeConjur) -> None:
        self.fake = fake

    def __call__(self, action: str, **body) -> dict:
        context = ssl.create_default_context(cafile=str(self.fake.ca_path))
        request = urllib.request.Request(
            f"{self.fake.url}/_fake/{action}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture()
def conjur(tmp_path: Path):
    server = FakeConjur(tmp_path / "pki", ldap_service="corp").start()
    yield server
    server.stop()


@pytest.fixture()
def conjur_controls(conjur: FakeConjur) -> ConjurControls:
    return ConjurControls(conjur)
