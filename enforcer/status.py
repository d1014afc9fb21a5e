"""The overview of a server repository: what is deployed where, emergency patches not merged back,
the latest refusals, the live claims. Read-only: it reads the records store and the refs, and
changes nothing (`enforcer status`; the web view shows the same)."""
from __future__ import annotations

import re
import time

from enforcer.git import Repo
from enforcer.policy import Policy
from enforcer.records import Deployment, Record, default_store

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import Any

PATCH = re.compile(r"-patch[0-9]+$")  # the SOP's emergency patch tags: vX.Y.Z-patchN from hotfix/*
INTEGRATION = "dev"  # where patches must be merged back (else the default branch)
HISTORY = 100_000


def overview(repo: Repo, policy: Policy, refusals: int = 10) -> dict[str, Any]:
    from enforcer.runner import outcome_now

    store = default_store(repo.git_dir())
    history = [d._replace(outcome=outcome_now(repo, d)) for d in store.deployments(None, HISTORY)]
    now = time.time()
    return {
        "environments": [_environment(repo, policy, name, history) for name in policy.environments],
        "unmerged_patches": unmerged_patches(repo, policy, history),
        "refusals": [_refusal(r) for r in store.decisions(200) if r.verdict == "deny"][:refusals],
        "claims": [{"path": c.path, "holder": c.holder, "expires": int(c.expires)}
                   for c in repo.claims() if c.expires > now],
    }


def unmerged_patches(repo: Repo, policy: Policy, history: list[Deployment]) -> list[dict[str, Any]]:
    """Patch tags that reached production (the environments with `approve`; else one named prod)
    and whose commit the integration branch (dev, else the default branch) does not contain yet."""
    production = {name for name, env in policy.environments.items() if env.approve} or {"prod"}
    target = INTEGRATION if repo.resolve(f"refs/heads/{INTEGRATION}") else repo.default_branch()
    tip = repo.resolve(f"refs/heads/{target}") if target else None
    found: dict[str, dict[str, Any]] = {}
    for d in history:
        if d.env in production and d.outcome in ("succeeded", "rolled-back") and PATCH.search(d.tag) \
                and d.tag not in found and not (tip and repo.is_ancestor(d.commit, tip)):
            found[d.tag] = {"tag": d.tag, "commit": d.commit, "deployed": d.started, "branch": target}
    return list(found.values())


def _environment(repo: Repo, policy: Policy, name: str, history: list[Deployment]) -> dict[str, Any]:
    env = policy.environments[name]
    ours = [d for d in history if d.env == name]
    live = next((d for d in ours if d.outcome == "succeeded"), None)
    latest = ours[0] if ours else None
    return {
        "name": name, "port": env.port, "branch": env.branch,
        "branch_at": repo.resolve(f"refs/heads/{env.branch}") if env.branch else None,
        "live": None if live is None else {"tag": live.tag, "commit": live.commit, "actor": live.actor,
                                           "time": live.finished or live.started, "health": live.health,
                                           "deployment": live.id},
        "latest": None if latest is None else {"tag": latest.tag, "outcome": latest.outcome,
                                               "deployment": latest.id, "time": latest.started},
    }


def _refusal(r: Record) -> dict[str, Any]:
    return {"time": r.time, "actor": r.actor, "ref": r.ref, "hook": r.hook, "subject": r.subject,
            "checks": [v.check for v in r.violations], "reason": r.violations[0].reason if r.violations else ""}


def text(view: dict[str, Any]) -> list[str]:
    """The overview as lines for a terminal (names escaped by the caller)."""
    lines = ["environments:"]
    for env in view["environments"]:
        live = env["live"]
        shown = "nothing deployed" if live is None else (
            f"{live['tag']} ({live['commit'][:10]}) by {live['actor']}, "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(live['time']))}, health {live['health'] or '-'}")
        latest = env["latest"]
        if latest and live and latest["deployment"] != live["deployment"]:
            shown += f"; latest: {latest['tag']} {latest['outcome']}"
        lines.append(f"  {env['name']:<8} {shown}")
    if view["unmerged_patches"]:
        lines.append("patches in production not merged back:")
        lines += [f"  {p['tag']} ({p['commit'][:10]}): merge it into {p['branch']}" for p in view["unmerged_patches"]]
    lines.append(f"live claims: {len(view['claims'])}")
    lines += [f"  {c['path']}  {c['holder']}" for c in view["claims"]]
    lines.append(f"latest refusals: {len(view['refusals'])}")
    lines += [f"  {r['actor']}  {r['ref'] or r['subject']}  {', '.join(r['checks'])}" for r in view["refusals"]]
    return lines
