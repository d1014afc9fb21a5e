"""What the status web view shows, read from the server's repository: the policy it judges by
(server_hooks/server_policy.py, read-only), the records store (read-only: it never creates,
migrates or ingests), the refs. Plain dicts and lists, the same for the pages and the JSON API.
"""
from __future__ import annotations

import time

from enforcer import serialize
from enforcer.git import Repo
from enforcer.policy import Policy
from enforcer.records import DecisionFilter, default_store

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import Any

    from enforcer.records import Store

PAGE = 50  # decisions per page
CHART_DAYS = 30


class Source:
    """The repository the view reads, and its policy as the server judges by it now."""

    def __init__(self, path: str) -> None:
        self.repo = Repo(path)
        self.store: Store = default_store(self.repo.git_dir())

    def policy(self) -> tuple[Policy | None, str]:
        """The server's policy (None before the bootstrap) and a note on which one it is."""
        from enforcer.server_hooks.server_policy import server_policy

        policy, note, _ = server_policy(self.repo, read_only=True)
        return policy, note or ""


def overview(source: Source) -> dict[str, Any]:
    """The pipeline, the latest refusals, the live claims (enforcer.status, as `enforcer status`)."""
    from enforcer.status import overview as status_overview

    policy, note = source.policy()
    if policy is None:
        return {"environments": [], "unmerged_patches": [], "refusals": [], "claims": [], "policy": note or
                "no policy yet"}
    view = status_overview(source.repo, policy)
    view["pipeline"] = pipeline(policy, view["environments"])
    view["policy"] = note
    return view


def pipeline(policy: Policy, environments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The promotion pipeline, in order: the integration branch's environment (dev), then the
    environments tags are promoted through, each after the one its `after` names (dev → qa → prod
    in the reference policy). Environments outside it (the SOP's feature environments) are left out."""
    from enforcer.status import INTEGRATION

    envs = policy.environments
    promoted = {n for n, e in envs.items() if e.after or e.on_tag_push} | {e.after for e in envs.values() if e.after}
    order: list[str] = [INTEGRATION] if INTEGRATION in envs and INTEGRATION not in promoted else []
    remaining = [n for n in envs if n in promoted]
    while remaining:
        ready = [n for n in remaining if envs[n].after in order or envs[n].after not in envs] or remaining[:1]
        order += ready
        remaining = [n for n in remaining if n not in ready]
    by_name = {e["name"]: e for e in environments}
    return [by_name[n] for n in order if n in by_name]


def decisions(source: Source, where: DecisionFilter, page: int) -> dict[str, Any]:
    rows, total = source.store.query(where, offset=(page - 1) * PAGE, limit=PAGE)
    return {"decisions": [serialize.decision(r) for r in rows], "total": total, "page": page, "per_page": PAGE,
            "pages": max(1, -(-total // PAGE)), "filter": where._asdict()}


def refusals_by_day(source: Source) -> list[tuple[str, int]]:
    return source.store.refusals_by_day(CHART_DAYS)


def deployments(source: Source, env: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    from enforcer.runner import outcome_now

    return [serialize.deployment(d._replace(outcome=outcome_now(source.repo, d)))
            for d in source.store.deployments(env, limit)]


def deployment(source: Source, deployment_id: int) -> tuple[dict[str, Any], str] | None:
    """One deployment and its log (as far as it has come), or None. Only a file in the
    repository's deploy-logs/ is read, whatever path a record names."""
    import os

    from enforcer.runner import outcome_now

    row = source.store.deployment(deployment_id)
    if row is None:
        return None
    found = serialize.deployment(row._replace(outcome=outcome_now(source.repo, row)))
    logs = os.path.realpath(os.path.join(source.repo.common_dir(), "enforcer", "deploy-logs"))
    path = os.path.realpath(found["log"] or "")
    if not path.startswith(logs + os.sep) or not os.path.isfile(path):
        return found, "(no log of this deployment in the repository's deploy-logs)"
    try:
        with open(path, "rb") as f:
            log = f.read(1_000_000).decode("utf-8", "replace")
    except OSError:
        log = "(the log cannot be read)"
    return found, log


def claims(source: Source) -> list[dict[str, Any]]:
    now = time.time()
    return [{"path": c.path, "holder": c.holder, "expires": int(c.expires), "live": c.expires > now}
            for c in sorted(source.repo.claims(), key=lambda c: c.path)]


def agents(source: Source, policy: Policy | None) -> list[dict[str, Any]]:
    """Every actor the policy names, with its live claims and its latest decision."""
    held: dict[str, list[str]] = {}
    for c in claims(source):
        if c["live"]:
            held.setdefault(c["holder"], []).append(c["path"])
    names = sorted(policy.actors) if policy is not None else sorted(held)
    out = []
    for name in names:
        latest, _ = source.store.query(DecisionFilter(actor=name), 0, 1)
        out.append({"actor": name, "claims": held.get(name, []),
                    "latest": serialize.decision(latest[0]) if latest else None})
    return out


def rules(policy: Policy) -> dict[str, Any]:
    """The policy's tables as the SOP shows them, each row with the rule id messages use."""
    return {
        "branches": [{"id": r.id, "match": r.match, "purpose": r.purpose, "push": list(r.push),
                      "direct_commits": r.direct_commits,
                      "merge_from": list(r.merge_from) if r.merge_from is not None else None,
                      "force_push": r.force_push, "delete": r.delete, "name": r.name} for r in policy.branches],
        "tags": [{"id": r.id, "match": r.match, "purpose": r.purpose, "name": r.name, "create": list(r.create),
                  "annotated": r.annotated, "move": r.move, "delete": r.delete} for r in policy.tags],
        "ownership": [{"id": e.id, "path": e.path, "primary": e.primary, "backup": e.backup}
                      for e in policy.ownership],
        "environments": [{"id": f"environments.{n}", "name": n, "port": e.port, "data": e.data, "tags": e.tags,
                          "after": e.after, "approve": list(e.approve), "branch": e.branch,
                          "on_tag_push": e.on_tag_push, "exclusive": e.exclusive}
                         for n, e in policy.environments.items()],
        "commands": _commands(policy),
    }


def _commands(policy: Policy) -> list[dict[str, Any]]:
    general = policy.commands
    rows = [{"id": f"commands.{kind}[{i}]", "who": "everyone", "kind": kind, "pattern": p}
            for kind in ("deny", "ask", "allow") for i, p in enumerate(general.get(kind) or ())]
    rows.append({"id": "commands", "who": "everyone", "kind": "default", "pattern": general.get("default", "ask")})
    for r, role in enumerate(general.get("roles") or ()):
        who = ", ".join(role.get("who") or ())
        rows += [{"id": f"commands.roles[{r}].{kind}[{i}]", "who": who, "kind": kind, "pattern": p}
                 for kind in ("deny", "ask", "allow") for i, p in enumerate(role.get(kind) or ())]
        rows.append({"id": f"commands.roles[{r}]", "who": who, "kind": "default",
                     "pattern": role.get("default", general.get("default", "ask"))})
        if role.get("edit"):
            rows.append({"id": f"commands.roles[{r}]", "who": who, "kind": "edit", "pattern": role["edit"]})
    return rows
