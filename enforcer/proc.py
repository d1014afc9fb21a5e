"""Child processes for the hook path, without the ``subprocess`` module.

Importing ``subprocess`` pulls in locale, re, enum, signal, threading and
selectors: about a third of what a commit hook spends before it does
anything. ``os.posix_spawnp`` starts a program just as well; ``communicate``
moves stdin and drains stdout and stderr with ``poll``, so neither side
ever waits on a full pipe.
"""
from __future__ import annotations

import os
import select

SIGTERM = 15  # signal.SIGTERM, without importing signal (which imports enum)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence


class Child:
    """A started program. ``capture``: pipe stdout and stderr here; else they go where ours go."""

    def __init__(self, argv: Sequence[str], *, stdin: bool = False, capture: bool = True,
                 env: Mapping[str, str] | None = None, quiet: bool = False) -> None:
        self.stdin = self.stdout = self.stderr = -1
        ours: list[int] = []  # the child's ends, closed here once it has them
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = []
        if stdin:
            read, self.stdin = os.pipe()
            actions.append((os.POSIX_SPAWN_DUP2, read, 0))
            ours.append(read)
        else:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        if capture:
            self.stdout, write = os.pipe()
            actions.append((os.POSIX_SPAWN_DUP2, write, 1))
            ours.append(write)
            if quiet:
                actions.append((os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0))
            else:
                self.stderr, write = os.pipe()
                actions.append((os.POSIX_SPAWN_DUP2, write, 2))
                ours.append(write)
        try:
            self.pid = os.posix_spawnp(argv[0], list(argv), os.environ if env is None else env,
                                       file_actions=actions)
        except OSError:
            for fd in (self.stdin, self.stdout, self.stderr):
                if fd >= 0:
                    os.close(fd)
            raise
        finally:
            for fd in ours:
                os.close(fd)
        self.returncode: int | None = None

    def write_all(self, data: bytes) -> None:
        """Write stdin whole and close it (for programs that read all of stdin before they write)."""
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.stdin, view):]
        except BrokenPipeError:
            pass  # it stopped reading: its exit code and stderr say why
        finally:
            os.close(self.stdin)
            self.stdin = -1

    def chunks(self) -> Iterator[bytes]:
        """stdout as it arrives (stderr is read after it: git writes little there)."""
        while chunk := os.read(self.stdout, 1 << 16):
            yield chunk

    def communicate(self, data: bytes = b"") -> tuple[bytes, bytes]:
        """Feed ``data`` to stdin (if piped), read stdout and stderr to their ends, wait."""
        out: dict[int, list[bytes]] = {fd: [] for fd in (self.stdout, self.stderr) if fd >= 0}
        poller = select.poll()
        for fd in out:
            poller.register(fd, select.POLLIN)
        view = memoryview(data)
        if self.stdin >= 0:
            if view:
                os.set_blocking(self.stdin, False)
                poller.register(self.stdin, select.POLLOUT)
            else:
                os.close(self.stdin)
                self.stdin = -1
        open_fds = len(out) + (self.stdin >= 0)
        while open_fds:
            for fd, _event in poller.poll():
                if fd == self.stdin:
                    try:
                        view = view[os.write(fd, view[:1 << 16]):]
                    except BrokenPipeError:
                        view = view[:0]
                    if not view:
                        poller.unregister(fd)
                        os.close(fd)
                        self.stdin = -1
                        open_fds -= 1
                    continue
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    out[fd].append(chunk)
                else:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds -= 1
        result = b"".join(out.get(self.stdout, [])), b"".join(out.get(self.stderr, []))
        self.stdout = self.stderr = -1  # closed above, at their ends
        self.wait()
        return result

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        """Stop it: its output is no longer wanted. Only before ``wait`` has reaped it."""
        os.kill(self.pid, SIGTERM)

    def close(self) -> None:
        for name in ("stdin", "stdout", "stderr"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
