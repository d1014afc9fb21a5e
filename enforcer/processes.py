"""Running a deploy's programs: an argv (never a shell), its output streamed and kept, bounded
by a deadline after which its whole process group is killed.

A deploy command may start children (a shell script running a server, a
build tool's workers); killing only the direct child would leave them
running, holding the port. Each program gets its own session, so its process
group is everything it started that did not leave on purpose.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable, Mapping, Sequence
    from typing import BinaryIO

GRACE = 5.0  # seconds between SIGTERM and SIGKILL for a program past its deadline
# what git sets for its hooks: a deploy runs in its own checkout, not inside the pushed repository
GIT_HOOK_VARIABLES = ("GIT_DIR", "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                      "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_EXEC_PATH", "GIT_PUSH_OPTION_COUNT")


class Outcome:
    """How a program ended: its exit status, or why it has none."""

    def __init__(self, status: int | None, timed_out: bool = False, error: str = "") -> None:
        self.status = status
        self.timed_out = timed_out
        self.error = error  # it could not start: no such file, not executable

    @property
    def ok(self) -> bool:
        return self.status == 0

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.timed_out:
            return "killed at the deploy's timeout"
        if self.status is not None and self.status < 0:
            return f"killed by signal {-self.status}"
        return f"exit {self.status}"


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The runner's environment less git's hook variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in GIT_HOOK_VARIABLES and not k.startswith("GIT_PUSH_OPTION_")}
    env.update(extra)
    return env


class Log:
    """A deploy's log file, followed to a stream as it grows (the caller's terminal, or the pusher's
    through git's "remote:" lines). Programs write into the file itself, so a service the deploy
    starts in the background may keep its output there without a pipe that closes under it."""

    def __init__(self, path: str, stream: BinaryIO | None) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self.stream = stream
        self._read = os.open(path, os.O_RDONLY)

    def say(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8", "replace") + b"\n")
        self.follow()

    def follow(self) -> None:
        """Passes on what was written since the last call."""
        while chunk := os.read(self._read, 65536):
            if self.stream is not None:
                try:
                    self.stream.write(chunk)
                    self.stream.flush()
                except (OSError, ValueError):  # the caller went away: the deploy goes on, the log keeps it
                    self.stream = None

    def close(self) -> None:
        self.follow()
        os.close(self.fd)
        os.close(self._read)


def run(argv: Sequence[str], cwd: str, env: Mapping[str, str], deadline: float, log: Log,
        started: Callable[[int], None] | None = None) -> Outcome:
    """Runs ``argv`` in ``cwd``, its output (stdout and stderr) into ``log``, followed as it comes;
    kills its process group at ``deadline`` (time.monotonic()). ``started`` is told the group's id."""
    try:
        child = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                 stdout=log.fd, stderr=log.fd, start_new_session=True)
    except FileNotFoundError:
        return Outcome(None, error=f"{argv[0]}: no such file (paths are relative to the tag's checkout)")
    except PermissionError:
        return Outcome(None, error=f"{argv[0]}: not executable (chmod +x it, and commit the mode)")
    except OSError as e:
        return Outcome(None, error=f"{argv[0]}: cannot start it ({e.strerror or e})")
    if started is not None:
        started(child.pid)
    timed_out = False
    ended = os.pidfd_open(child.pid)  # readable when the child ends: no polling delay (Linux >= 5.3)
    try:
        while child.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                kill_group(child.pid)
                break
            select.select([ended], [], [], min(left, 0.2))
            log.follow()
    finally:
        os.close(ended)
    status = child.wait()
    log.follow()
    return Outcome(status, timed_out)


def kill_group(pid: int) -> None:
    """SIGTERM to the process group, SIGKILL after GRACE to whatever is left of it."""
    for sig, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if not group_members(pid):  # gone, or only zombies waiting to be reaped
                return
            time.sleep(0.05)


def group_members(pgid: int) -> list[int]:
    """The live processes of process group ``pgid``, zombies left out (from /proc)."""
    members = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
            members.append(int(pid))
    return members
