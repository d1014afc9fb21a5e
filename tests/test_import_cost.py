"""The hook path (cache hit) imports the core and nothing heavy: behaviour, not timing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SOP

SCRIPT = f"""
import sys
from enforcer.policy import load_policy
from enforcer.engine import decide
from enforcer.model import RefUpdate, Commit
policy = load_policy({str(SOP)!r}, cache_dir=sys.argv[1])
decide(policy, RefUpdate(actor="task_worker1", ref="refs/heads/feature/x-1124", new="2" * 40,
                         commits=(Commit("2" * 40, ("1" * 40,), ("architect/a.md",)),)))
heavy = {{"yaml", "jsonschema", "click", "pathspec", "pygit2"}} & set(sys.modules)
print(" ".join(sorted(heavy)))
"""


def test_cache_hit_imports_nothing_heavy(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    first = subprocess.run([sys.executable, "-c", SCRIPT, cache], capture_output=True, text=True, check=True)
    assert "yaml" in first.stdout  # the first load parses and validates
    second = subprocess.run([sys.executable, "-c", SCRIPT, cache], capture_output=True, text=True, check=True)
    assert second.stdout.strip() == ""


HOOKS = ("enforcer.hooks.pre_commit", "enforcer.hooks.commit_msg", "enforcer.hooks.pre_push",
         "enforcer.hooks.post_checkout", "enforcer.server_hooks.pre_receive", "enforcer.server_hooks.update")
DEAR = {"subprocess", "typing", "re", "json", "pathlib", "yaml", "jsonschema", "click", "pathspec", "pygit2"}


def test_hooks_started_as_the_shims_start_them_import_nothing_dear() -> None:
    """Every hook starts Python without site and loads only what it needs (enforcer.install)."""
    import site

    paths = [str(ROOT)] + site.getsitepackages()
    code = (f"import sys; sys.path += {paths!r}; import importlib; "
            f"[importlib.import_module(m) for m in {HOOKS!r}]; print(' '.join(sorted({DEAR!r} & set(sys.modules))))")
    proc = subprocess.run([sys.executable, "-S", "-P", "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
