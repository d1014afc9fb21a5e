from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import enforcer, git
from tests.test_deploy_runner import Site
from tests.test_web import HOSTILE, TOKEN, Served, serve, stop, site  # noqa: F401

from enforcer.web import create_app


def test_probe(site: Site) -> None:
    app = create_app(str(site.bare))
    c = app.test_client()
    for url in ["/decisions?page=%C2%B2", "/decisions?page=" + "9" * 5000, "/api/decisions?page=1000000",
                "/agents/..%2F..%2Fetc", "/static/..%2f__init__.py", "/decisions?ref=%00", "/decisions?rule=%25"]:
        try:
            r = c.get(url)
            print(url[:60], r.status_code, r.headers.get("Content-Type"), r.data[:200])
        except Exception as e:
            print(url[:60], "EXC", type(e).__name__, e)
    r = c.get("/", headers={"Host": "evil.example"})
    print("host", r.status_code)
    print(c.get("/health").headers)
