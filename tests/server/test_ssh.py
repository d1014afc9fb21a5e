"""Behind a real ssh server: sshd on loopback, the actor set per key by authorized_keys."""
from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.conftest import enforcer, git
from tests.server.scenario import assert_enforced, make_clone

pytestmark = pytest.mark.server  # a real sshd

SSHD = "/usr/sbin/sshd"
ACTORS = ("jgirmay", "task_worker1")


def _require(path: str, package: str) -> None:
    if not os.path.exists(path):
        message = f"{path} is missing: install Debian's {package} (tests/install-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI never skips silently
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_key_line(actor: str, public_key: str) -> str:
    return f'environment="ENFORCER_ACTOR={actor}" {public_key}'


class SshServer:
    def __init__(self, root: Path, key_line: Callable[[str, str], str] = env_key_line) -> None:
        self.root = root
        self.port = _free_port()
        self.keys = {}
        lines = []
        for actor in ACTORS:
            key = root / f"key-{actor}"
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
            self.keys[actor] = key
            lines.append(key_line(actor, (root / f"key-{actor}.pub").read_text().strip()))
        (root / "authorized_keys").write_text("\n".join(lines) + "\n")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host")], check=True)
        (root / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {root / 'host'}\nPidFile {root / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {root / 'authorized_keys'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
            "PermitUserEnvironment ENFORCER_ACTOR\n")
        os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory
        with open(root / "sshd.log", "wb") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")], stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start: {(root / 'sshd.log').read_text()}")

    def url(self, path: Path) -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}{path}"

    def env(self, actor: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}  # the key decides, not the client
        env["GIT_SSH_COMMAND"] = (f"ssh -i {self.keys[actor]} -o IdentitiesOnly=yes -o BatchMode=yes "
                                  "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
        return env

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    _require(SSHD, "openssh-server")
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


def test_the_key_decides_who_pushes(sshd: SshServer, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    assert enforcer(tmp_path, "install", "--server", str(bare)).returncode == 0
    clone = make_clone(tmp_path)

    def push(actor: str, *refspecs: str) -> subprocess.CompletedProcess[str]:
        # the client claims to be jgirmay in its own environment: the server ignores that
        return subprocess.run(["git", "push", sshd.url(bare), *refspecs], cwd=clone, capture_output=True,
                              text=True, env={**sshd.env(actor), "ENFORCER_ACTOR": "jgirmay"})

    assert_enforced(push, clone, bare)
