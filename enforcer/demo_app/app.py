"""The test service: /health answers 200 with the deployed tag, or 500 when BROKEN is beside it."""
import http.server
import os

BROKEN = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "BROKEN"))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 500 if BROKEN else 200
        body = f"{os.environ.get('APP_ENV')} {os.environ.get('ENFORCER_TAG')}\n".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
