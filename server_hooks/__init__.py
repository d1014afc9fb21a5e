"""Server hooks: pre-receive and update judge a push (receive.py); post-receive is a few
lines of sh (enforcer/install.py)."""
from __future__ import annotations


def read_bytes(path: str) -> bytes | None:
    """A file's bytes, or None when there is no such file; any other failure raises
    (the server fails closed: an unreadable last good policy is not a missing one)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
