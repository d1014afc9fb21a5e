"""Behind smart HTTP: `git http-backend` under nginx + fcgiwrap with basic auth; the actor is REMOTE_USER."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import enforcer, git
from tests.server.scenario import assert_enforced, make_clone
from tests.server.test_ssh import _free_port, _require

pytestmark = pytest.mark.server  # a real nginx + fcgiwrap

NGINX, FCGIWRAP, BACKEND = "/usr/sbin/nginx", "/usr/sbin/fcgiwrap", "/usr/lib/git-core/git-http-backend"
USERS = {"jgirmay": "rm-secret", "task_worker1": "worker-secret"}


class HttpServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.repos = root / "repos"
        self.repos.mkdir()
        self.port = _free_port()
        sock = root / "fcgi.sock"
        lines = []
        for user, password in USERS.items():
            hashed = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True,
                                    check=True).stdout.strip()
            lines.append(f"{user}:{hashed}")
        (root / "htpasswd").write_text("\n".join(lines) + "\n")
        for d in ("tmp", "logs"):
            (root / d).mkdir()
        (root / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {root}/tmp/body; fastcgi_temp_path {root}/tmp/fastcgi;
  proxy_temp_path {root}/tmp/proxy; uwsgi_temp_path {root}/tmp/uwsgi; scgi_temp_path {root}/tmp/scgi;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      auth_basic "git"; auth_basic_user_file {root}/htpasswd;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME {BACKEND};
      fastcgi_param GIT_PROJECT_ROOT {self.repos};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $uri;
      fastcgi_param REMOTE_USER $remote_user;
      fastcgi_pass unix:{sock};
    }}
  }}
}}
""")
        with open(root / "logs" / "fcgiwrap.log", "wb") as log:
            self.fcgi = subprocess.Popen([FCGIWRAP, "-s", f"unix:{sock}"], stderr=log, start_new_session=True)
            self.nginx = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf")], stderr=log,
                                          start_new_session=True)
        deadline = time.monotonic() + 10
        while not (sock.exists() and (root / "nginx.pid").exists()):
            if time.monotonic() > deadline:
                raise RuntimeError((root / "logs" / "error.log").read_text())
            time.sleep(0.05)

    def url(self, user: str, name: str) -> str:
        return f"http://{user}:{USERS[user]}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        for proc in (self.nginx, self.fcgi):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    for path, package in ((NGINX, "nginx"), (FCGIWRAP, "fcgiwrap"), (BACKEND, "git")):
        _require(path, package)
    server = HttpServer(tmp_path_factory.mktemp("http"))
    yield server
    server.stop()


def test_remote_user_decides_who_pushes(http: HttpServer, tmp_path: Path) -> None:
    bare = http.repos / "project.git"
    git(http.repos, "init", "-q", "--bare", "-b", "main", str(bare))
    assert enforcer(tmp_path, "install", "--server", str(bare)).returncode == 0
    clone = make_clone(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}

    def push(user: str, *refspecs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "push", http.url(user, "project.git"), *refspecs], cwd=clone,
                              capture_output=True, text=True, env=env)

    assert_enforced(push, clone, bare)
