"""The status web view (issue 19) over real records: a bare repository with the server hooks, real
pushes (one refused for its hostile branch name), a real deploy to qa and prod, a claim; then
`enforcer serve` started as a user starts it, asked with real HTTP requests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import enforcer, git
from tests.test_deploy_runner import Site, free_ports

pytestmark = pytest.mark.server  # a deployed HTTP service, `enforcer serve`, and Chromium for one test

HOSTILE = "feature/<script>alert(1)</script>-1123"
TOKEN = "s3cret-token-19"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = Site(tmp_path_factory.mktemp("web"), timeout="8s")
    try:
        assert s.release("v1.0.0").returncode == 0
        s.approve("jgirmay", "prod", "v1.0.0")
        assert s.run("jgirmay", "deploy", "prod", "v1.0.0").returncode == 0
        git(s.clone, "switch", "-qc", HOSTILE)
        s.server.commit("src/x.py")
        refused = s.server.push("task_worker1", f"HEAD:refs/heads/{HOSTILE}")
        assert refused.returncode != 0
        assert s.run("task_worker1", "claim", "src/app").returncode == 0
        yield s
    finally:
        s.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object) -> None:  # type: ignore[override]
        return None


class Served:
    def __init__(self, base: str, proc: subprocess.Popen[str]) -> None:
        self.base, self.proc = base, proc

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        """One request, its answer as it comes (a redirect is not followed)."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, dict(e.headers), e.read().decode()


def serve(repo: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    [port] = free_ports(1)
    proc = subprocess.Popen(["enforcer", "serve", "--repo", str(repo), "--port", str(port), *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    host = next((args[i + 1] for i, a in enumerate(args) if a == "--host"), "127.0.0.1")
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1" if host == "0.0.0.0" else host, port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read() if proc.stderr else "serve ended")
            time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", proc)


def stop(served: Served) -> str:
    served.proc.terminate()
    _, err = served.proc.communicate(timeout=10)
    return err


@pytest.fixture(scope="module")
def web(site: Site) -> Iterator[Served]:
    served = serve(site.bare)
    yield served
    assert "Traceback" not in stop(served)


def test_the_api_gives_the_records(web: Served, site: Site) -> None:
    status, headers, body = web.get("/api/status")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    view = json.loads(body)
    live = {e["name"]: (e["live"] or {}).get("tag") for e in view["environments"]}
    assert live["qa"] == "v1.0.0" and live["prod"] == "v1.0.0"
    assert [e["name"] for e in view["pipeline"]] == ["dev", "qa", "prod"]
    assert any(r["ref"] == f"refs/heads/{HOSTILE}" for r in view["refusals"])
    assert [c["path"] for c in view["claims"]] == ["src/app/"]

    decisions = json.loads(web.get("/api/decisions?verdict=deny")[2])
    assert decisions["total"] >= 1 and all(d["verdict"] == "deny" for d in decisions["decisions"])
    assert any(d["ref"] == f"refs/heads/{HOSTILE}" for d in decisions["decisions"])
    by_rule = json.loads(web.get("/api/decisions?rule=branches.push")[2])
    assert by_rule["total"] >= 1 and all(any(v["check"] == "branches.push" for v in d["violations"])
                                          for d in by_rule["decisions"])
    by_id = json.loads(web.get("/api/decisions?rule=branches%5B8%5D")[2])  # the rule as messages name it
    assert by_id["total"] == by_rule["total"]
    assert json.loads(web.get("/api/decisions?rule=branches.nope")[2])["total"] == 0
    by_actor = json.loads(web.get("/api/decisions?actor=task_worker1")[2])
    assert by_actor["total"] >= 1 and {d["actor"] for d in by_actor["decisions"]} == {"task_worker1"}

    deployments = json.loads(web.get("/api/deployments?env=prod")[2])
    assert [(d["env"], d["tag"], d["outcome"]) for d in deployments] == [("prod", "v1.0.0", "succeeded")]
    claims = json.loads(web.get("/api/claims")[2])
    assert [(c["path"], c["holder"], c["live"]) for c in claims] == [("src/app/", "task_worker1", True)]


def test_health_openapi_and_headers(web: Served) -> None:
    status, headers, body = web.get("/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    spec = json.loads(web.get("/openapi.json")[2])
    assert spec["openapi"].startswith("3.") and {"/api/status", "/api/decisions", "/api/deployments", "/api/claims",
                                                 "/health"} <= set(spec["paths"])
    for path in ("/", "/rules", "/deployments", "/decisions", "/agents", "/api/status"):
        status, headers, _ = web.get(path)
        assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
        assert "script-src" not in headers["Content-Security-Policy"]  # no script is allowed at all
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_hostile_names_are_text(web: Served) -> None:
    for path in ("/", "/decisions", "/decisions?verdict=deny", "/agents/task_worker1"):
        body = web.get(path)[2]
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    body = web.get("/decisions?ref=%3Cscript%3E&actor=%22%3E%3Cb%3E")[2]
    assert '"><b>' not in body and "&lt;script&gt;" in body


def test_nothing_changes_state(web: Served, site: Site) -> None:
    store = site.bare / "enforcer" / "records.sqlite3"
    before = store.stat().st_mtime_ns, store.stat().st_size
    for path in ("/", "/decisions", "/deployments", "/agents", "/api/status", "/api/decisions"):
        web.get(path)
    assert (store.stat().st_mtime_ns, store.stat().st_size) == before
    request = urllib.request.Request(web.base + "/api/decisions", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    with refused.value:
        assert refused.value.code == 405


def test_bad_input_is_a_clear_answer(web: Served) -> None:
    assert web.get("/decisions?page=0")[0] == 400
    assert web.get("/api/decisions?verdict=maybe")[0] == 400
    assert web.get("/deployments/999999")[0] == 404
    assert web.get("/no/such/page")[0] == 404


def test_a_repository_without_records_is_served_without_creating_them(tmp_path: Path) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    served = serve(bare)
    try:
        for path in ("/", "/rules", "/decisions", "/deployments", "/agents", "/api/status", "/api/decisions"):
            assert served.get(path)[0] == 200, path
        assert not (bare / "enforcer").exists()
    finally:
        stop(served)


def test_a_token_guards_every_page_but_health(site: Site) -> None:
    served = serve(site.bare, "--host", "0.0.0.0", "--token", TOKEN)
    try:
        assert served.get("/health")[0] == 200
        assert served.get("/")[0] == 401 and served.get("/api/status")[0] == 401
        assert served.get("/api/status", {"Authorization": "Bearer wrong-token"})[0] == 401
        assert served.get("/api/status", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        status, headers, _ = served.get(f"/decisions?token={TOKEN}&verdict=deny")
        assert status == 303 and "HttpOnly" in headers["Set-Cookie"]  # kept, and gone from the address
        assert headers["Location"].endswith("/decisions?verdict=deny")
        assert TOKEN not in served.get("/", {"Authorization": f"Bearer {TOKEN}"})[2]  # no secret shown
    finally:
        stop(served)


@pytest.mark.parametrize("args, says", [
    (("--host", "0.0.0.0"), "needs" if False else "is not loopback"),
    (("--host", "192.0.2.1", "--token", "short"), "too short"),
])
def test_serve_refuses_to_start_unguarded(site: Site, args: tuple[str, ...], says: str) -> None:
    proc = enforcer(site.bare, "serve", "--repo", str(site.bare), *args, env={"ENFORCER_TOKEN": ""})
    assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr


def test_status_in_the_terminal(site: Site) -> None:
    proc = site.run("jgirmay", "status")
    assert proc.returncode == 0 and "qa" in proc.stdout and "v1.0.0" in proc.stdout
    assert "feature/\\x3cscript" not in proc.stdout  # escaped for the terminal, readable
    view = json.loads(site.run("jgirmay", "status", "--format", "json").stdout)
    assert {e["name"] for e in view["environments"]} >= {"qa", "prod", "dev"}


# -- in a real browser ---------------------------------------------------------------------------

from tests.browser import screenshot  # noqa: E402


def text(page: object) -> str:
    return "\n".join(line for line in page.locator("main").inner_text().splitlines() if line.strip())  # type: ignore[attr-defined]


def follow(page: object, link: object) -> None:
    """Click and wait for the next page (what a person sees once it has loaded)."""
    with page.expect_navigation():  # type: ignore[attr-defined]
        link.click()  # type: ignore[attr-defined]


def test_click_through_every_page(web: Served, browser_page: object) -> None:
    """A person's tour: overview, rules, deployments and a log, decisions filtered, claims and an
    agent; a screenshot of each, the text checked, and no script ever runs (the hostile branch
    name's <script> would open a dialog)."""
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.goto(web.base + "/")  # type: ignore[attr-defined]
    shown = text(page)
    assert "Promotion pipeline" in shown and "v1.0.0" in shown and HOSTILE in shown and "src/app/" in shown
    assert page.locator("svg.pipeline").count() == 1  # type: ignore[attr-defined]
    assert "dev → qa → prod" in page.locator("svg.pipeline title").text_content()  # type: ignore[attr-defined]
    screenshot(page, "web-overview")

    follow(page, page.get_by_role("link", name="Rules"))
    shown = text(page)
    assert "Branch matrix" in shown and "Ownership matrix" in shown and "Command patterns" in shown
    assert "branches[0]" in shown and "release-managers" in shown
    screenshot(page, "web-rules")

    follow(page, page.get_by_role("link", name="Deployments").first)
    assert "succeeded" in text(page) and "prod" in text(page)
    screenshot(page, "web-deployments")
    follow(page, page.locator("table.deployments a").first)
    assert "Log" in text(page) and "deploy.sh: v1.0.0" in text(page)
    screenshot(page, "web-deployment")

    follow(page, page.get_by_role("link", name="Decisions"))
    assert page.locator("svg.chart").count() == 1  # type: ignore[attr-defined]
    page.select_option("select[name=verdict]", "deny")  # type: ignore[attr-defined]
    page.fill("input[name=actor]", "task_worker1")  # type: ignore[attr-defined]
    follow(page, page.get_by_role("button", name="Filter"))
    shown = text(page)
    assert HOSTILE in shown and "branches.push" in shown and "matching" in shown
    screenshot(page, "web-decisions")
    follow(page, page.locator("a.rule").first)
    assert "/rules#branches[" in page.url  # type: ignore[attr-defined]

    follow(page, page.get_by_role("link", name="Claims and agents"))
    shown = text(page)
    assert "src/app/" in shown and "task_worker1" in shown and "edu_worker1" in shown
    screenshot(page, "web-agents")
    follow(page, page.locator("table.agents a", has_text="task_worker1"))
    assert "Latest decisions" in text(page) and HOSTILE in text(page)
    screenshot(page, "web-agent")
    assert dialogs == []


def test_without_a_token_only_loopback_names_are_answered(web: Served) -> None:
    """A page on another site cannot read the view through a name it points at 127.0.0.1 (DNS
    rebinding): without a token, a Host header that is no loopback name is refused."""
    assert web.get("/api/status", {"Host": "evil.example"})[0] == 421
    assert web.get("/api/status", {"Host": "evil.example:8080"})[0] == 421
    port = web.base.rsplit(":", 1)[1]
    assert web.get("/api/status", {"Host": f"localhost:{port}"})[0] == 200
    assert web.get("/api/status")[0] == 200  # 127.0.0.1:PORT, as urllib sends it
