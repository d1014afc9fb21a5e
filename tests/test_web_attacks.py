"""The status web view attacked as a hostile pusher or agent would (issue 19, docs/web.md): names
that try to break out of HTML, attributes, URLs and the SVG; the filters; the token and its cookie;
the Host header; the store missing, corrupt, being written or huge; the read-only guarantee.

Real repositories throughout (tests.test_web's site: real pushes through the server hooks, a real
deploy), asked through a real `enforcer serve` where the HTTP layer matters and through Flask's
test client where an answer alone does. What holds is a plain test; each weakness found is a
strict xfail whose reason says what is wrong, so this file passes today and flags the fix; the
findings fixed since (page numbers, the token's cookie and address, a corrupt store's 503, logs
outside deploy-logs, deployments by id, bidi characters) are plain tests now."""
from __future__ import annotations

import html
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from enforcer.records import Deployment, Record, default_store
from enforcer.web import create_app, svg
from tests.conftest import git
from tests.test_deploy_runner import Site
from tests.test_web import HOSTILE, TOKEN, Served, serve, site, stop  # noqa: F401  (site: the fixture)

pytestmark = pytest.mark.server

BIDI = "feature/\u202e1123-txt.exe"  # shows as "feature/exe.txt-3211": the RIGHT-TO-LEFT OVERRIDE
DOTTY = "../rules"  # an actor whose page link a browser resolves elsewhere
LONG = "feature/" + "/".join(["a" * 200] * 8) + "-1"
CLAIMED = "src/<b>\"q'&"  # git and `enforcer claim` allow < > " ' & in a directory's claim
PAGES = ("/", "/rules", "/deployments", "/deployments/1", "/decisions", "/decisions?verdict=deny", "/agents",
         "/agents/task_worker1", "/api/status", "/api/decisions", "/api/deployments", "/api/claims", "/openapi.json",
         "/health")


@pytest.fixture(scope="module")
def hostile(site: Site) -> Site:  # noqa: F811
    """The site of tests.test_web plus what a hostile pusher can leave in it: a refused branch with a
    bidi override and one of 1,600 characters, both pushed by an unknown actor named ../rules, and a
    claim on a directory named with every HTML metacharacter git allows."""
    git(site.clone, "switch", "-qc", "attack")
    site.server.commit("src/attack.py")
    for name in (BIDI, LONG):
        assert site.server.push(DOTTY, f"HEAD:refs/heads/{name}").returncode != 0
    assert site.run("task_worker1", "claim", CLAIMED).returncode == 0
    return site


@pytest.fixture(scope="module")
def web(hostile: Site) -> Iterator[Served]:
    served = serve(hostile.bare)
    yield served
    assert "Traceback" not in stop(served)


def raw(served: Served, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given (Host included), over a real connection."""
    where = urlsplit(served.base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host="Host" in (headers or {}))
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def tree(root: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.relpath(os.path.join(dirpath, name), root)] = (st.st_mtime_ns, st.st_size, st.st_mode)
    return out


def bare_repo(tmp: Path) -> Path:
    bare = tmp / "bare.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    return bare


def deny(ref: str, actor: str = "task_worker1", when: float | None = None) -> Record:
    return Record("pre-receive", actor, ref, "0" * 40, "1" * 40, "deny", time=when)


# -- names: HTML, attributes, URLs, the SVG ------------------------------------------------------

def test_hostile_names_are_text_on_every_page(web: Served) -> None:
    for path in PAGES:
        status, headers, body = web.get(path)
        assert status == 200, path
        if headers["Content-Type"].startswith("text/html"):  # JSON carries the names as data
            assert "<script>alert(1)</script>" not in body and '<b>"q' not in body, path
    for path in ("/", "/agents"):
        body = web.get(path)[2]
        assert html.escape(CLAIMED) in body.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


def test_filters_reflected_into_attributes_stay_inside_them(web: Served) -> None:
    """Parsed as a browser parses it: the filter is the input's value, whole, and adds no element
    or attribute."""
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.append((tag, dict(attrs)))

    attack = "\"' autofocus onfocus=alert(1) x=\"><svg onload=alert(1)>"
    for name, field in (("actor", "actor"), ("ref", "ref"), ("rule", "rule")):
        parser = Tags()
        parser.feed(web.get(f"/decisions?{name}=" + urlquote(attack))[2])
        inputs = {a["name"]: a for t, a in parser.found if t == "input"}
        assert inputs[field]["value"] == attack
        assert all(set(a) <= {"name", "value", "placeholder"} for a in inputs.values())
        # one svg only: the chart (the filter did not open another)
        assert sum(1 for t, a in parser.found if t == "svg") <= 1
        assert not any(k.startswith("on") for _, a in parser.found for k in a)


def urlquote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_pagination_links_keep_filters_as_data(tmp_path: Path) -> None:
    """A ref filter holding &, = and # stays one query value in the next page's link."""
    bare = bare_repo(tmp_path)
    default_store(str(bare)).add([deny("refs/heads/a&page=9#x") for _ in range(120)])
    client = create_app(str(bare)).test_client()
    body = client.get("/decisions?ref=a%26page%3D9%23x").get_data(as_text=True)
    [href] = re.findall(r'rel="next" href="([^"]*)"', body)
    target = urlsplit(html.unescape(href))
    assert "#" not in html.unescape(href) and target.path == "/decisions"
    from urllib.parse import parse_qs

    assert parse_qs(target.query) == {"page": ["2"], "ref": ["a&page=9#x"]}


def test_svg_is_well_formed_with_every_name_escaped() -> None:
    evil = '</title><script>alert(1)</script>"\'&'
    environments = [{"name": evil, "live": {"tag": evil, "time": time.time(), "actor": evil, "health": evil,
                                            "deployment": 1},
                     "latest": {"tag": evil, "outcome": "failed", "deployment": 2, "time": 0}},
                    {"name": "qa", "live": None, "latest": {"tag": evil, "outcome": "running", "deployment": 3,
                                                            "time": 0}}]
    for picture in (svg.pipeline(environments), svg.refusals([(evil, 3), ("2024-01-02", 0)])):
        root = ET.fromstring(picture)  # well-formed XML: nothing broke out of an element or attribute
        assert "<script" not in picture
        tags = {el.tag.split("}")[-1] for el in root.iter()}
        assert tags <= {"svg", "title", "g", "rect", "text", "path", "line"}
        for el in root.iter():
            assert not any(k.lower().startswith("on") or "href" in k.lower() for k in el.attrib)


def test_the_pipeline_picture_on_the_page_is_well_formed(web: Served) -> None:
    body = web.get("/")[2]
    [picture] = re.findall(r"<svg .*?</svg>", body, re.S)
    ET.fromstring(picture)


def test_actor_links_are_percent_encoded(tmp_path: Path) -> None:
    """Actors with ?, # and a newline: each link names the actor's page, never a query or fragment."""
    bare = bare_repo(tmp_path)
    actors = ["a?b=1", "c#d", "g%2Fh", "javascript:alert(1)", "<i>&amp;"]
    default_store(str(bare)).add([deny(f"refs/heads/{i}", actor=a) for i, a in enumerate(actors)])
    client = create_app(str(bare)).test_client()
    body = client.get("/decisions").get_data(as_text=True)
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/agents/[^"]*)"', body)]
    assert len(hrefs) == len(actors)
    for href in hrefs:
        assert href.startswith("/agents/") and "?" not in href and "#" not in href and "\n" not in href
        assert client.get(href).status_code == 200


@pytest.mark.xfail(strict=True, reason="low: the actor link is url_for('agent', actor=...) on a <path:> "
                   "converter, which keeps '..' and '/': an actor named ../rules (any unknown pusher's name is "
                   "recorded) links to /agents/../rules, which a browser resolves to /rules, not the actor's "
                   "page; and <path:> matches no newline, so an actor 'e\\nf' links to a 404. Fix: actor "
                   "links as /agents?actor=NAME (a query value), or a converter matching any text")
def test_odd_actors_link_to_their_own_page(web: Served, tmp_path: Path) -> None:
    body = web.get("/decisions?verdict=deny")[2]
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/agents/[^"]*)"', body)]
    dotty = [h for h in hrefs if ".." in h]
    assert dotty, hrefs
    for href in dotty:
        assert urlsplit(urljoin(web.base + "/decisions", href)).path.startswith("/agents/")
    bare = bare_repo(tmp_path)
    default_store(str(bare)).add([deny("refs/heads/x", actor="e\nf")])
    client = create_app(str(bare)).test_client()
    [href] = re.findall(r'href="(/agents/[^"]*)"', client.get("/decisions").get_data(as_text=True))
    assert client.get(html.unescape(href)).status_code == 200


def test_bidi_overrides_in_names_are_neutralised(web: Served) -> None:
    body = web.get("/decisions?verdict=deny")[2]
    assert "1123-txt.exe" in body  # the refusal is shown
    for at in [m.start() for m in re.finditer("\u202e", body)]:
        assert body.rfind("<bdi", 0, at) > body.rfind("</", 0, at), "an override outside <bdi>"


def test_very_long_names_are_shown_and_bounded_in_the_picture(web: Served) -> None:
    status, _, body = web.get("/decisions?verdict=deny")
    assert status == 200 and "a" * 200 in body
    picture = re.findall(r"<svg .*?</svg>", web.get("/")[2], re.S)[0]
    assert all(len(t) <= 30 for t in ET.fromstring(picture).itertext() if "→" not in t)


# -- JSON ------------------------------------------------------------------------------------------

def test_json_is_json_with_no_cross_origin_reading(web: Served) -> None:
    for path in ("/api/status", "/api/decisions", "/api/deployments", "/api/claims", "/openapi.json", "/health"):
        status, headers, body = raw(web, path, {"Host": urlsplit(web.base).netloc, "Origin": "https://evil.example"})
        assert status == 200 and headers["content-type"] == "application/json"
        assert headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in headers
        json.loads(body)
    decisions = json.loads(web.get("/api/decisions?verdict=deny")[2])
    assert any(d["ref"] == f"refs/heads/{HOSTILE}" for d in decisions["decisions"])  # data, as it is


# -- the filters and the page number ---------------------------------------------------------------

def test_filters_are_data_not_sql_or_patterns(web: Served) -> None:
    everything = json.loads(web.get("/api/decisions")[2])["total"]
    assert everything > 3
    for name, value in (("ref", "%"), ("ref", "_"), ("ref", "' OR 1=1 --"), ("ref", "%00"), ("actor", "' OR ''='"),
                        ("rule", 'x", "rule": "branches[8]'), ("rule", "%"), ("ref", "*"), ("ref", "[a-z]")):
        status, _, body = web.get(f"/api/decisions?{name}=" + urlquote(value).replace("%2500", "%00"))
        assert status == 200 and json.loads(body)["total"] == 0, (name, value)


def test_page_numbers_out_of_range(web: Served) -> None:
    status, _, body = web.get("/api/decisions?page=1000000")  # the last page allowed: empty, at once
    assert status == 200 and json.loads(body)["decisions"] == []
    for page in ("1000001", "0", "-1", "1e3", "abc", " 1", "0x10"):
        assert web.get("/api/decisions?page=" + urlquote(page))[0] == 400, page


def test_page_numbers_that_are_digits_but_not_numbers(site: Site) -> None:  # noqa: F811
    client = create_app(str(site.bare)).test_client()
    for page in ("%C2%B2", "9" * 5000):
        assert client.get("/decisions?page=" + page).status_code == 400
        assert client.get("/api/decisions?page=" + page).status_code == 400


# -- the token, its cookie, the Host header --------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(hostile: Site) -> Iterator[Served]:
    served = serve(hostile.bare, "--host", "0.0.0.0", "--token", TOKEN)
    yield served
    err = stop(served)
    assert TOKEN not in err and "Traceback" not in err  # the token is in no log


def test_health_says_nothing_but_ok(guarded: Served, hostile: Site) -> None:
    status, headers, body = guarded.get("/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert "set-cookie" not in {k.lower() for k in headers} and TOKEN not in body


def test_without_the_token_nothing_is_told(guarded: Served) -> None:
    """Every path answers the same 401 without the token: no page, route or error to tell them apart."""
    answers = {guarded.get(path)[2] for path in ("/", "/no/such/page", "/static/style.css", "/openapi.json",
                                                   "/api/decisions?page=0", "/deployments/999999")}
    assert len(answers) == 1 and "Bearer TOKEN" in answers.pop()
    for path in ("/", "/no/such/page", "/static/style.css", "/openapi.json"):
        assert guarded.get(path)[0] == 401, path
    assert raw(guarded, "/api/status", {"Host": "x", "Authorization": f"bearer{TOKEN}"})[0] == 401
    assert raw(guarded, "/api/status", {"Host": "x", "Cookie": "enforcer_token=" + TOKEN[:-1]})[0] == 401
    assert raw(guarded, "/api/status", {"Host": "x", "Cookie": "enforcer_token=" + TOKEN})[0] == 200
    for method in ("OPTIONS", "POST", "DELETE"):
        assert raw(guarded, "/api/status", {"Host": "x"}, method)[0] == 401


def test_the_token_is_shown_nowhere(guarded: Served) -> None:
    status, headers, body = guarded.get(f"/?token={TOKEN}")
    cookie = headers["Set-Cookie"]
    assert status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in headers["Location"]
    assert TOKEN not in body
    for path in PAGES:
        status, headers, body = guarded.get(path, {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and TOKEN not in body and TOKEN not in json.dumps(headers), path


def test_a_token_on_loopback_is_required_too(hostile: Site) -> None:
    served = serve(hostile.bare, "--token", TOKEN)
    try:
        assert served.get("/api/status")[0] == 401 and served.get("/health")[0] == 200
        assert served.get("/api/status", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    finally:
        assert "Traceback" not in stop(served)


@pytest.mark.parametrize("host", ["0", "127.1", "::ffff:127.0.0.1", "0.0.0.0", "::"])
def test_ambiguous_binds_need_a_token(hostile: Site, host: str) -> None:
    proc = subprocess.run(["enforcer", "serve", "--repo", str(hostile.bare), "--host", host, "--port", "0"],
                          capture_output=True, text=True, timeout=30, env={**os.environ, "ENFORCER_TOKEN": ""})
    assert proc.returncode == 2 and "not loopback" in proc.stderr


def test_a_wrong_token_never_becomes_the_cookie(guarded: Served) -> None:
    status, headers, _ = guarded.get("/?token=not-the-token")
    assert status == 401 and "Set-Cookie" not in headers
    jar = {"Cookie": "enforcer_token=not-the-token"}
    status, headers, _ = guarded.get(f"/?token={TOKEN}", jar)
    assert status == 303 and f"enforcer_token={TOKEN}" in headers.get("Set-Cookie", "")


def test_the_token_leaves_the_address_bar(guarded: Served) -> None:
    status, headers, _ = raw(guarded, f"/decisions?verdict=deny&token={TOKEN}", {"Host": "x"})
    assert status in (302, 303) and "set-cookie" in headers
    assert TOKEN not in headers["location"] and "verdict=deny" in headers["location"]


def test_dns_rebinding_is_refused_on_loopback(web: Served) -> None:
    """Without a token only loopback names are answered (4a083d5); names built to slip past a
    prefix, suffix or port split are refused too, on every path and method."""
    port = urlsplit(web.base).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", "127.0.0.1"):
        assert raw(web, "/api/status", {"Host": host})[0] == 200, host
    for host in (f"evil.example:{port}", "127.0.0.1.evil.example", f"localhost.evil.example:{port}",
                 "evil.example:127.0.0.1", "[::1].evil.example", "evil.example#@127.0.0.1", "127.0.0.1@evil.example",
                 "localhost.", f"0.0.0.0:{port}", "127.0.0.2", ""):
        for path, method in (("/api/status", "GET"), ("/health", "GET"), ("/static/style.css", "GET"),
                             ("/deployments/1", "GET"), ("/api/decisions", "OPTIONS")):
            assert raw(web, path, {"Host": host}, method)[0] in (400, 421), (host, path)


def test_rebinding_gains_nothing_when_a_token_guards(guarded: Served) -> None:
    assert raw(guarded, "/api/status", {"Host": "evil.example"})[0] == 401


# -- headers on every answer; nothing changes state ------------------------------------------------

def test_every_answer_forbids_framing_script_and_caching(web: Served) -> None:
    port = urlsplit(web.base).port
    cases = [(p, "GET", 200) for p in PAGES] + [("/static/style.css", "GET", 200), ("/no/such", "GET", 404),
                                                ("/decisions?page=0", "GET", 400), ("/api/status", "POST", 405),
                                                ("/static/..%2f__init__.py", "GET", 404),
                                                ("/static/%2e%2e/__init__.py", "GET", 404)]
    for path, method, expected in cases:
        status, headers, _ = raw(web, path, {"Host": f"127.0.0.1:{port}"}, method)
        assert status == expected, path
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
        assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer" and "set-cookie" not in headers


def test_only_reading_methods_are_served(web: Served) -> None:
    for path in ("/", "/decisions", "/api/decisions", "/api/claims", "/deployments/1", "/health"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert raw(web, path, {"Host": "127.0.0.1"}, method)[0] == 405, (path, method)
    for path in ("/", "/decisions", "/agents", "/rules", "/deployments", "/deployments/1"):
        forms = re.findall(r"<form[^>]*>", web.get(path)[2])
        assert all('method="get"' in f for f in forms)


def test_serving_every_page_changes_no_file(hostile: Site) -> None:
    """The whole repository, byte for byte: no -wal/-shm, lock, cache, __pycache__ or store appears."""
    client = create_app(str(hostile.bare)).test_client()
    before = tree(hostile.bare)
    for path in PAGES + ("/decisions?rule=branches.push", "/agents/" + DOTTY, "/deployments?env=prod"):
        assert client.get(path).status_code == 200, path
    assert tree(hostile.bare) == before


def test_a_running_deploy_is_read_without_touching_its_lock(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    store = default_store(str(bare))
    store.add_deployment(Deployment("prod", "v1", "c" * 40, "x", time.time()))  # running, no lock file
    before = tree(bare)
    client = create_app(str(bare)).test_client()
    for path in ("/deployments", "/deployments/1", "/api/deployments", "/"):
        assert client.get(path).status_code == 200
    assert json.loads(client.get("/api/deployments").data)[0]["outcome"] == "interrupted"
    assert tree(bare) == before and not (bare / "enforcer" / "deploy-locks").exists()


@pytest.mark.xfail(strict=True, reason="medium-low: a -wal left without its -shm (a writer killed, a backup "
                   "restored) makes _reading() open mode=ro, and SQLite then creates records.sqlite3-shm: the "
                   "read-only view writes a file into the repository (owned by the view's user, or the read "
                   "fails for a user who cannot write there). Fix: when -wal exists without -shm, read with "
                   "PRAGMA locking_mode=EXCLUSIVE before the first read (heap WAL index) or from a private copy")
def test_a_leftover_wal_is_read_without_creating_shm(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    store = default_store(str(bare))
    store.add([deny("refs/heads/one")])
    db = sqlite3.connect(store.path)
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("INSERT INTO decisions (time, hook, actor, ref, old, new, verdict, note, violations) "
               "VALUES (1, 'pre-receive', 'x', 'refs/heads/two', 'o', 'n', 'deny', '', '[]')")
    db.commit()
    shutil.copy(store.path + "-wal", tmp_path / "wal")
    db.close()  # the last connection checkpoints and removes -wal and -shm
    shutil.copy(tmp_path / "wal", store.path + "-wal")  # as a killed writer leaves it
    listing = sorted(os.listdir(bare / "enforcer"))
    client = create_app(str(bare)).test_client()
    assert client.get("/api/decisions").status_code == 200
    assert sorted(os.listdir(bare / "enforcer")) == listing


def test_reads_while_a_writer_keeps_writing(tmp_path: Path) -> None:
    """A deploy or a push writing all the while: every read answers, none fails or waits long."""
    bare = bare_repo(tmp_path)
    store = default_store(str(bare))
    store.add([deny("refs/heads/first")])
    done = threading.Event()

    def write() -> None:
        while not done.is_set():
            store.add([deny("refs/heads/more")])
            store.add_deployment(Deployment("prod", "v1", "c" * 40, "x", time.time(), outcome="succeeded"))

    writer = threading.Thread(target=write)
    writer.start()
    client = create_app(str(bare)).test_client()
    try:
        codes = [client.get(p).status_code for _ in range(40) for p in ("/api/decisions", "/decisions",
                                                                       "/deployments", "/api/deployments")]
    finally:
        done.set()
        writer.join()
    assert set(codes) == {200}


def test_a_repository_without_a_store_stays_without(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    before = tree(bare)
    client = create_app(str(bare)).test_client()
    for path in PAGES[:-1] + ("/agents/x",):
        assert client.get(path).status_code == (404 if path == "/deployments/1" else 200), path
    assert tree(bare) == before


def test_a_corrupt_store_is_a_clear_answer(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    (bare / "enforcer").mkdir()
    (bare / "enforcer" / "records.sqlite3").write_bytes(b"this is not a database\n" * 200)
    served = serve(bare)
    try:
        for path in ("/decisions", "/deployments", "/api/decisions"):
            status, headers, body = served.get(path)
            assert status == 503 and "records store" in body and "default-src 'none'" in \
                headers["Content-Security-Policy"], path
    finally:
        err = stop(served)
    assert "Traceback" not in err


# -- deployment logs ----------------------------------------------------------------------------

def test_a_pusher_cannot_choose_where_a_log_is_read_from(hostile: Site) -> None:
    """The runner names the log itself: <git dir>/enforcer/deploy-logs/<env>-<time>-<pid>-<µs>.log."""
    logs = (hostile.bare / "enforcer" / "deploy-logs").resolve()
    rows = default_store(str(hostile.bare)).deployments(None, 100)
    assert rows and all(Path(d.log).resolve().parent == logs and re.fullmatch(
        r"[a-z0-9]+-\d{8}-\d{6}-\d+-\d{6}\.log", Path(d.log).name) for d in rows)


def test_a_log_outside_the_deploy_logs_is_not_shown(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-outside-the-repository\n")
    default_store(str(bare)).add_deployment(Deployment("prod", "v1", "c" * 40, "x", time.time(),
                                                       outcome="failed", log=str(secret)))
    body = create_app(str(bare)).test_client().get("/deployments/1").get_data(as_text=True)
    assert "s3cret-outside-the-repository" not in body


def test_a_2gb_log_is_shown_in_part_and_quickly(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    logs = bare / "enforcer" / "deploy-logs"
    logs.mkdir(parents=True)
    log = logs / "prod-20240101-000000-1-000001.log"
    with open(log, "wb") as f:
        f.write(b"<script>alert(1)</script> started\n" + b"x" * 100 + b"\n")
        f.truncate(2 * 1024 ** 3)  # sparse: 2 GB without the disk
    default_store(str(bare)).add_deployment(Deployment("prod", "v1", "c" * 40, "x", time.time(), outcome="failed",
                                                       log=str(log)))
    client = create_app(str(bare)).test_client()
    started = time.monotonic()
    answer = client.get("/deployments/1")
    assert answer.status_code == 200 and time.monotonic() - started < 5
    body = answer.get_data(as_text=True)
    assert len(body) < 8_000_000 and "&lt;script&gt;alert(1)&lt;/script&gt; started" in body


# -- denial of service ---------------------------------------------------------------------------

def test_a_million_decisions_are_paged_in_reasonable_time(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    store = default_store(str(bare))
    store.add([deny("refs/heads/first")])
    now = time.time()
    with sqlite3.connect(store.path) as db:
        db.executemany("INSERT INTO decisions (time, hook, actor, ref, old, new, verdict, note, violations) "
                       "VALUES (?, 'pre-receive', ?, ?, 'o', 'n', ?, '', '[]')",
                       ((now - i, f"actor{i % 50}", f"refs/heads/feature/x{i}", "deny" if i % 3 else "allow")
                        for i in range(1_000_000)))
    db.close()
    client = create_app(str(bare)).test_client()
    for path in ("/decisions", "/decisions?ref=nowhere", "/api/decisions?rule=branches.push&verdict=deny",
                 "/decisions?page=20000", "/api/decisions?page=1000000", "/agents", "/"):
        started = time.monotonic()
        assert client.get(path).status_code == 200, path
        assert time.monotonic() - started < 5, path


def test_an_old_deployment_is_found_among_many(tmp_path: Path) -> None:
    bare = bare_repo(tmp_path)
    store = default_store(str(bare))
    store.add_deployment(Deployment("prod", "v0", "c" * 40, "x", time.time() - 10 ** 6, outcome="succeeded"))
    with sqlite3.connect(store.path) as db:
        db.executemany('INSERT INTO deployments (env, tag, "commit", actor, started, outcome) VALUES (?,?,?,?,?,?)',
                       (("prod", f"v{i}", "c" * 40, "x", time.time() - i, "failed") for i in range(100_001)))
    db.close()
    assert create_app(str(bare)).test_client().get("/deployments/1").status_code == 200
