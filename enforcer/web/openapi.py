"""The OpenAPI description of the web view's JSON API (served at /openapi.json)."""
from __future__ import annotations

_DECISION = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer", "null"]}, "time": {"type": "number"}, "kind": {"type": "string"},
        "hook": {"type": "string"}, "actor": {"type": ["string", "null"]}, "ref": {"type": "string"},
        "old": {"type": "string"}, "new": {"type": "string"}, "subject": {"type": "string"},
        "verdict": {"type": "string", "enum": ["allow", "ask", "deny", "landed"]}, "note": {"type": "string"},
        "violations": {"type": "array", "items": {"$ref": "#/components/schemas/Violation"}},
        "policy": {"type": ["string", "null"]},
    },
}
_VIOLATION = {
    "type": "object",
    "properties": {"rule": {"type": "string"}, "check": {"type": "string"}, "reason": {"type": "string"},
                   "fix": {"type": "string"}, "evaluate_only": {"type": "boolean"}, "severity": {"type": "string"},
                   "overridden": {"type": "boolean"}},
}
_DEPLOYMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "env": {"type": "string"}, "tag": {"type": "string"},
        "commit": {"type": "string"}, "actor": {"type": ["string", "null"]}, "started": {"type": "number"},
        "finished": {"type": ["number", "null"]},
        "outcome": {"type": "string", "enum": ["running", "succeeded", "failed", "rolled-back", "interrupted"]},
        "previous": {"type": ["string", "null"]}, "rollback_of": {"type": ["integer", "null"]},
        "checks": {"type": "array", "items": {"type": "object", "properties": {
            "command": {"type": "string"}, "exit": {"type": "integer"}}}},
        "health": {"type": "string"}, "log": {"type": "string"},
    },
}
_CLAIM = {"type": "object", "properties": {"path": {"type": "string"}, "holder": {"type": "string"},
                                           "expires": {"type": "integer"}, "live": {"type": "boolean"}}}


def _get(summary: str, schema: dict[str, object], parameters: list[dict[str, object]] | None = None
         ) -> dict[str, object]:
    return {"get": {"summary": summary, "parameters": parameters or [],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                                  "401": {"description": "a token is needed (the server was started with one)"}}}}


def _query(name: str, description: str, schema: dict[str, object] | None = None) -> dict[str, object]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


OPENAPI: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {"title": "enforcer status", "version": "1",
             "description": "Read-only: the policy's environments, deployments, decisions and claims of one server "
                            "repository. With a token, send `Authorization: Bearer TOKEN`."},
    "paths": {
        "/health": _get("The view is up", {"type": "object", "properties": {"status": {"const": "ok"}}}),
        "/api/status": _get("What is deployed where, patches not merged back, the latest refusals, live claims",
                            {"type": "object"}),
        "/api/decisions": _get(
            "Decisions, newest first, a page at a time",
            {"type": "object", "properties": {
                "decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}},
                "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                "pages": {"type": "integer"}, "filter": {"type": "object"}}},
            [_query("verdict", "allow, ask, deny or landed", {"enum": ["allow", "ask", "deny", "landed"]}),
             _query("actor", "who acted, exactly"), _query("ref", "a part of the ref or subject"),
             _query("rule", "a check id (branches.push) or rule (branches[1])"),
             _query("page", "from 1", {"type": "integer", "minimum": 1})]),
        "/api/deployments": _get("Deploys and rollbacks, newest first",
                                 {"type": "array", "items": {"$ref": "#/components/schemas/Deployment"}},
                                 [_query("env", "one environment")]),
        "/api/claims": _get("Directory and environment claims, live and expired",
                            {"type": "array", "items": {"$ref": "#/components/schemas/Claim"}}),
    },
    "components": {"schemas": {"Decision": _DECISION, "Violation": _VIOLATION, "Deployment": _DEPLOYMENT,
                               "Claim": _CLAIM}},
}
