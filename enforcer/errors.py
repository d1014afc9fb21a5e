"""The one error type users see, and the policy error that names its place."""
from __future__ import annotations

from enforcer.tuples import NamedTuple


class EnforcerError(Exception):
    """An error the user can act on: printed as one message, exit 2, no traceback."""


class Problem(NamedTuple):
    """One thing wrong with a policy file, located and with its fix."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # field path such as branches[2].push
    message: str
    fix: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        text = f"{where}:{field} {self.message}"
        if self.warning:
            text = f"{where}: warning:{field} {self.message}"
        return f"{text}\n  fix: {self.fix}" if self.fix else text


class PolicyError(EnforcerError):
    """A policy file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
