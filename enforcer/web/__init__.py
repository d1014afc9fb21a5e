"""The status web view: a small, read-only Flask app over the policy and the records of one server
repository (`enforcer serve`, docs/web.md). Pages are rendered on the server with autoescaping
and need no JavaScript; /api/ gives the same data as JSON. Nothing on it changes state."""
from __future__ import annotations

import hmac
import time

from flask import Flask, Response, abort, jsonify, render_template, request
from markupsafe import Markup

from enforcer.errors import EnforcerError
from enforcer.records import DecisionFilter
from enforcer.web import data, svg
from enforcer.web.openapi import OPENAPI

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
VERDICTS = ("allow", "ask", "deny", "landed")
TOKEN_COOKIE = "enforcer_token"
FILTERS = ("verdict", "actor", "ref", "rule")  # the decisions' query parameters
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})


def create_app(repo_path: str, token: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    app.jinja_env.filters["timestamp"] = lambda stamp: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
    app.jinja_env.finalize = _visible  # a name's control and bidi characters shown, not obeyed
    source = data.Source(repo_path)

    @app.before_request
    def authorised() -> Response | None:
        if token is None:
            # no token: only a browser that asked for a loopback name gets an answer, so that a
            # page elsewhere cannot reach the view through a name it rebinds to 127.0.0.1
            host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") \
                else (request.host or "").split("]", 1)[0] + "]"
            if host.lower() not in LOOPBACK_NAMES:
                return Response("this view answers to a loopback address only (or serve it with --token)\n", 421,
                                {"Content-Type": "text/plain; charset=utf-8"})
            return None
        if request.path == "/health":
            return None
        given = (request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                 or request.args.get("token") or request.cookies.get(TOKEN_COOKIE) or "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN once\n", 401,
                            {"WWW-Authenticate": "Bearer", "Content-Type": "text/plain; charset=utf-8"})
        if request.args.get("token"):  # accepted: kept in a cookie, and gone from the address bar
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            from urllib.parse import urlencode

            answer = Response("", 303, {"Location": request.path + (f"?{urlencode(rest)}" if rest else "")})
            answer.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
            return answer
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- pages ----------------------------------------------------------------------------------

    @app.get("/")
    def overview() -> str:
        view = data.overview(source)
        return render_template("overview.html", view=view, pipeline=Markup(svg.pipeline(view.get("pipeline", []))),
                               page="overview")

    @app.get("/rules")
    def rules() -> str:
        policy, note = source.policy()
        return render_template("rules.html", rules=data.rules(policy) if policy else None, note=note, page="rules")

    @app.get("/deployments")
    def deployments() -> str:
        env = request.args.get("env") or None
        return render_template("deployments.html", rows=data.deployments(source, env), env=env, page="deployments")

    @app.get("/deployments/<int:deployment_id>")
    def deployment(deployment_id: int) -> str:
        found = data.deployment(source, deployment_id)
        if found is None:
            abort(404)
        return render_template("deployment.html", row=found[0], log=found[1], page="deployments")

    @app.get("/decisions")
    def decisions() -> str:
        where, page = _filter()
        view = data.decisions(source, where, page)
        return render_template("decisions.html", view=view, verdicts=VERDICTS, page="decisions",
                               chart=Markup(svg.refusals(data.refusals_by_day(source))),
                               query={k: v for k, v in request.args.items() if k in FILTERS and v})

    @app.get("/agents")
    def agents() -> str:
        policy, _ = source.policy()
        return render_template("agents.html", claims=data.claims(source), agents=data.agents(source, policy),
                               page="agents")

    @app.get("/agents/<path:actor>")
    def agent(actor: str) -> str:
        view = data.decisions(source, DecisionFilter(actor=actor), 1)
        held = [c for c in data.claims(source) if c["holder"] == actor]
        return render_template("agent.html", actor=actor, view=view, claims=held, page="agents")

    # -- the JSON API ---------------------------------------------------------------------------

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(OPENAPI)

    @app.get("/api/status")
    def api_status() -> Response:
        return jsonify(data.overview(source))

    @app.get("/api/decisions")
    def api_decisions() -> Response:
        where, page = _filter()
        return jsonify(data.decisions(source, where, page))

    @app.get("/api/deployments")
    def api_deployments() -> Response:
        return jsonify(data.deployments(source, request.args.get("env") or None))

    @app.get("/api/claims")
    def api_claims() -> Response:
        return jsonify(data.claims(source))

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("error.html", message="There is no such page.", page=""), 404

    @app.errorhandler(EnforcerError)
    def unreadable(error: EnforcerError) -> tuple[Response | str, int]:
        if request.path.startswith("/api/"):
            return jsonify({"error": str(error)}), 503
        return render_template("error.html", message=str(error), page=""), 503

    @app.errorhandler(400)
    def bad_request(error: Exception) -> tuple[str, int]:
        return render_template("error.html", message=getattr(error, "description", "Bad request."), page=""), 400

    return app


def _visible(value: object) -> object:
    """What a template prints: text with its control and bidi characters as visible escapes
    (``\u202e``), as the terminal shows them; pictures (Markup) as they are."""
    if isinstance(value, str) and not isinstance(value, Markup):
        from enforcer.report import escape

        return escape(value)
    return value


def _filter() -> tuple[DecisionFilter, int]:
    args = request.args
    verdict = args.get("verdict") or None
    if verdict is not None and verdict not in VERDICTS:
        abort(400, f"verdict is one of {', '.join(VERDICTS)}")
    page = args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 7) or not 1 <= int(page) <= 1_000_000:
        abort(400, "page is a number from 1")
    return DecisionFilter(verdict, args.get("actor") or None, args.get("ref") or None,
                          args.get("rule") or None), int(page)
