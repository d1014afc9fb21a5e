"""Is the deployed service up, and whose is the port it will listen on.

Health: an HTTP GET every second until a 2xx answer, within the deploy's
timeout; a refused connection means "not up yet" (DESIGN.md, *The deploy
runner*). Port: before a deploy, a listener on the environment's port must be
that environment's own service (the runner gives every deploy APP_ENV, which
the service inherits), or the health check would pass against the wrong one.
"""
from __future__ import annotations

import os
import time

INTERVAL = 1.0  # seconds between health requests
REQUEST_TIMEOUT = 5.0  # seconds one request may take


def wait_healthy(url: str, deadline: float) -> tuple[bool, str]:
    """(up, what was seen last: "200", "503", "connection refused", "timeout") by ``deadline``
    (time.monotonic())."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() or ord(c) < 32 for c in url):
        return False, f"not an http(s) URL: {url!r}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    seen = "no answer"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, f"timeout (last: {seen})"
        try:
            status = (_https_status if parts.scheme == "https" else _http_status)(
                parts.hostname, port, path, min(left, REQUEST_TIMEOUT), deadline)
            if 200 <= status < 300:
                return True, str(status)
            seen = str(status)
        except ConnectionRefusedError:
            seen = "connection refused"
        except (OSError, ValueError) as e:
            seen = type(e).__name__ if not str(e) else str(e)[:200]
        time.sleep(max(0.0, min(INTERVAL, deadline - time.monotonic())))


def _http_status(host: str, port: int, path: str, timeout: float, deadline: float) -> int:
    """The status of a GET, read from the answer's first line (no http.client: a deploy's start-up
    pays for what it imports)."""
    import socket

    request = (f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: enforcer-deploy\r\n"
               "Connection: close\r\n\r\n").encode("ascii", "replace")
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n" not in answer and len(answer) < 4096:
            left = deadline - time.monotonic()  # a service that trickles its answer is bounded too
            if left <= 0:
                raise TimeoutError("the answer did not come within the deploy's timeout")
            connection.settimeout(min(left, timeout))
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    fields = answer.split(b"\r\n", 1)[0].split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        raise ValueError("the answer is not HTTP")
    return int(fields[1])


def _https_status(host: str, port: int, path: str, timeout: float, deadline: float) -> int:
    import http.client

    connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "enforcer-deploy"})
        return connection.getresponse().status
    except http.client.HTTPException as e:
        raise ValueError(str(e) or type(e).__name__) from None
    finally:
        connection.close()


def port_holders(port: int) -> list[tuple[int | None, str | None]]:
    """Who listens on TCP ``port``: (pid, its APP_ENV) per listener; pid None where the socket is
    another user's (its process cannot be seen). [] when nothing listens."""
    inodes = _listening_inodes(port)
    if inodes is None:  # no /proc: only a connection can tell
        return [(None, None)] if _answers(port) else []
    if not inodes:
        return []
    found: dict[str, tuple[int | None, str | None]] = {}
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:  # gone, or another user's
            continue
        for link in links:
            inode = link[len("socket:["):-1] if link.startswith("socket:[") else None
            if inode in inodes and inode not in found:
                found[inode] = (pid, app_env(pid))
    return [found.get(inode, (None, None)) for inode in sorted(inodes)]


def _listening_inodes(port: int) -> set[str] | None:
    found: set[str] = set()
    tables = [f for f in ("/proc/net/tcp", "/proc/net/tcp6") if os.path.exists(f)]
    if not tables:
        return None
    for table in tables:
        with open(table) as f:
            next(f, None)
            for line in f:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found.add(fields[9])
    return found


def app_env(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            variables = f.read().split(b"\0")
    except OSError:
        return None
    for variable in variables:
        if variable.startswith(b"APP_ENV="):
            return variable[len(b"APP_ENV="):].decode("utf-8", "replace")
    return None


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False
