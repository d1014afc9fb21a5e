"""Behind gitolite3 (Debian's package) over a real sshd: the actor is gitolite's GL_USER.

Gitolite's own update hook keeps checking its access rules; enforcer's
pre-receive sits beside it, so refusals below come from enforcer (gitolite
gives both users RW+).
"""
from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import enforcer, git
from tests.server.scenario import assert_enforced, make_clone
from tests.server.test_ssh import SshServer, _require

pytestmark = pytest.mark.server  # gitolite behind a real sshd

GITOLITE, SHELL = "/usr/bin/gitolite", "/usr/share/gitolite3/gitolite-shell"


@pytest.fixture(scope="module")
def gitolite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SshServer, Path]]:
    _require(GITOLITE, "gitolite3")
    home = tmp_path_factory.mktemp("gitolite-home")
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "admin")], check=True)
    subprocess.run([GITOLITE, "setup", "-pk", str(home / "admin.pub")], env=env, check=True, capture_output=True)
    (home / ".gitolite" / "conf" / "gitolite.conf").write_text(
        "repo gitolite-admin\n    RW+ = admin\nrepo project\n    RW+ = jgirmay task_worker1\n")
    subprocess.run([GITOLITE, "compile"], env=env, check=True, capture_output=True)
    subprocess.run([GITOLITE, "setup"], env=env, check=True, capture_output=True)
    bare = home / "repositories" / "project.git"
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")  # gitolite creates repositories with master

    def key_line(actor: str, public_key: str) -> str:
        return f'command="HOME={home} {SHELL} {actor}",no-pty,no-port-forwarding {public_key}'

    server = SshServer(tmp_path_factory.mktemp("gitolite-sshd"), key_line)
    yield server, bare
    server.stop()


def test_gl_user_decides_who_pushes(gitolite: tuple[SshServer, Path], tmp_path: Path) -> None:
    server, bare = gitolite
    assert enforcer(tmp_path, "install", "--server", str(bare)).returncode == 0
    assert (bare / "hooks" / "update").exists()  # gitolite's own hook is untouched
    clone = make_clone(tmp_path)
    url = f"ssh://{getpass.getuser()}@127.0.0.1:{server.port}/project"

    def push(actor: str, *refspecs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "push", url, *refspecs], cwd=clone, capture_output=True, text=True,
                              env={**server.env(actor), "ENFORCER_ACTOR": "jgirmay"})

    assert_enforced(push, clone, bare)
