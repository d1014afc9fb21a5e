"""Names with control characters (issue 15, item 5): text output shows them escaped, so a refused
pusher cannot forge lines in a terminal; JSON keeps them exact."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from enforcer.model import Decision, Violation
from enforcer.report import escape, github, text
from tests.conftest import enforcer, git
from tests.server.test_receive import Server

FORGED = "\nenforcer: refs/heads/main: allowed (break-glass by jgirmay: ok)\x1b[2K\x1b[1A"
# C0, DEL, C1, line/paragraph separators and bidi controls: none may reach a terminal raw
RAW = ([chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
       + ["\u061c", "\u200e", "\u200f", "\u2028", "\u2029"] + [chr(c) for c in range(0x202A, 0x202F)]
       + [chr(c) for c in range(0x2066, 0x206A)])


def raw_controls(output: str) -> set[str]:
    """The control characters in ``output`` other than the line breaks between its own lines."""
    return {c for c in output if c in RAW and c != "\n"}


@pytest.mark.parametrize("raw, shown", [
    ("a\nb", "a\\nb"), ("\x1b[31m", "\\x1b[31m"), ("\r\t\x00\x7f", "\\r\\t\\x00\\x7f"), ("\x85\x9b", "\\x85\\x9b"),
    ("abc\u202eexe.txt", "abc\\u202eexe.txt"), ("\u2066\u2069\u2028\u2029", "\\u2066\\u2069\\u2028\\u2029"),
    ("café/ünï\\n 日本 ~", "café/ünï\\n 日本 ~"),  # printable text, backslashes included, is left alone
])
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    assert not raw_controls(escape("".join(RAW)).replace("\n", ""))


def test_text_and_github_renderers_escape_every_field() -> None:
    v = Violation("rule\x1b", "check\x1b", f"reason{FORGED}", f"fix{FORGED}")
    results = [(f"refs/heads/x{FORGED}", Decision("deny", (v,), note=f"note{FORGED}"))]
    for out in (text(results), github(results)):
        assert not raw_controls(out)
        assert "\\nenforcer: refs/heads/main: allowed" in out and "\\x1b[2K" in out
        assert not any(line.startswith("enforcer: refs/heads/main") for line in out.splitlines())


class EscapingServer(Server):
    def push_file(self, actor: str, branch: str, name: str) -> subprocess.CompletedProcess[str]:
        git(self.clone, "switch", "-qc", branch, "main")
        path = self.clone / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        git(self.clone, "add", "--", name)
        git(self.clone, "commit", "-qm", "a file with an odd name")
        return self.push(actor, branch)


def test_a_refused_push_of_an_odd_file_name_cannot_forge_lines(tmp_path: Path) -> None:
    server = EscapingServer(tmp_path)
    assert server.push("jgirmay", "main").returncode == 0
    name = f"architect/x{FORGED}\x1b[31mred"  # architect/ is arch_worker1's; task_worker2 owns nothing
    proc = server.push_file("task_worker2", "feature/odd-name-0101", name)
    assert proc.returncode != 0 and "ownership.owner" in proc.stderr
    assert not raw_controls(proc.stderr), proc.stderr
    assert "architect/x\\nenforcer: refs/heads/main: allowed" in proc.stderr and "\\x1b[31mred" in proc.stderr
    assert not any(line.removeprefix("remote: ").startswith("enforcer: refs/heads/main")
                   for line in proc.stderr.splitlines())  # the forged record is no line of its own

    shown = enforcer(server.bare, "decisions")
    assert shown.returncode == 0 and not raw_controls(shown.stdout), shown.stdout
    assert "\\nenforcer: refs/heads/main: allowed" in shown.stdout and "\\x1b[31mred" in shown.stdout
    assert not any(line.startswith("enforcer: ") for line in shown.stdout.splitlines())

    exact = json.loads(enforcer(server.bare, "decisions", "--format", "json").stdout)
    reasons = [v["reason"] for d in exact for v in d["violations"] if v["check"] == "ownership.owner"]
    assert len(reasons) == 1 and reasons[0].endswith(f": {name}")


def test_a_ref_name_with_bidi_controls_is_shown_escaped(tmp_path: Path) -> None:
    server = EscapingServer(tmp_path)
    assert server.push("jgirmay", "main").returncode == 0
    branch = "feature/x\u202e1010-gnikrow"  # git takes it; a terminal would show it reversed
    proc = server.push_file("task_worker2", branch, "src/a.py")
    assert proc.returncode != 0 and "branches.name" in proc.stderr
    ours = "\n".join(line for line in proc.stderr.splitlines() if line.startswith("remote: "))  # git's own: raw
    assert "\u202e" not in ours and "refs/heads/feature/x\\u202e1010-gnikrow: DENIED" in ours
    shown = enforcer(server.bare, "decisions")
    assert "\u202e" not in shown.stdout and "refs/heads/feature/x\\u202e1010-gnikrow" in shown.stdout
    exact = json.loads(enforcer(server.bare, "decisions", "--format", "json").stdout)
    assert exact[0]["ref"] == f"refs/heads/{branch}"


def test_check_text_output_escapes_a_file_name(tmp_path: Path) -> None:
    from tests.conftest import Repo

    repo = Repo(tmp_path / "repo")
    repo.switch("feature/odd-0101", create_from="main")
    name = f"architect/y{FORGED}"
    (repo.path / name).parent.mkdir(parents=True)  # the forged line's "refs/heads/" makes directories
    (repo.path / name).write_text("y\n")
    git(repo.path, "add", "--", name)
    git(repo.path, "commit", "-qm", "odd")
    env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
    proc = subprocess.run(["enforcer", "check", "--base", repo.root, "--branch", "feature/odd-0101", "--actor",
                           "task_worker2"], cwd=repo.path, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and not raw_controls(proc.stdout) and "y\\nenforcer: " in proc.stdout
    as_json = subprocess.run(["enforcer", "check", "--base", repo.root, "--branch", "feature/odd-0101", "--actor",
                              "task_worker2", "--format", "json"], cwd=repo.path, capture_output=True, text=True)
    reasons = [v["reason"] for r in json.loads(as_json.stdout)["results"] for v in r["violations"]]
    assert any(r.endswith(name) for r in reasons)
