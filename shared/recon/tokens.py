"""API tokens at rest: only their SHA-256 is stored; the token itself is shown once."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """What is stored for an API token (hex SHA-256), and what a presented one is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()
