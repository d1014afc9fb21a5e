"""`enforcer validate [FILE]` and `enforcer schema`."""
from __future__ import annotations

import json

import click

from enforcer.commands.common import FORMATS
from enforcer.errors import EnforcerError


@click.command()
@click.argument("file", default="policy.yaml", metavar="[FILE]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
def validate(file: str, fmt: str) -> int:
    """Check a policy file: schema, names, regexes, conflicts, and its own tests.

    Prints every problem at once with file:line:column and the fix; exit 2 when any is an error.

    \b
    Examples:
      enforcer validate
      enforcer validate path/to/policy.yaml --format json
    """
    from enforcer.policy import MAX_POLICY_BYTES
    from enforcer.selftest import check_policy_bytes

    try:
        with open(file, "rb") as f:
            raw = f.read(MAX_POLICY_BYTES + 1)
    except OSError as e:
        raise EnforcerError(f"{file}: {e.strerror}") from None
    data, problems = check_policy_bytes(raw, file)
    errors = [p for p in problems if not p.warning]
    if fmt == "json":
        click.echo(json.dumps({"file": file, "valid": not errors, "problems": [
            {"line": p.line, "column": p.column, "path": p.path, "message": p.message, "fix": p.fix,
             "severity": "warning" if p.warning else "error"} for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=not problem.warning)
        if errors:
            click.echo(f"{file}: {len(errors)} error(s); the policy cannot be used until they are fixed", err=True)
        else:
            tests = len(data.get("tests") or ())
            click.echo(f"{file}: valid" + (f"; {tests} self-test(s) pass" if tests else "")
                       + (f"; {len(problems)} warning(s)" if problems else ""))
    return 2 if errors else 0


@click.command()
@click.option("--path", "show_path", is_flag=True,
              help="Print the absolute path of the installed schema.json instead (docs/editors.md).")
def schema(show_path: bool) -> int:
    """Print the JSON Schema of policy.yaml (for editors and check-jsonschema), or with --path
    where the installed copy is.

    \b
    Examples:
      enforcer schema > policy.schema.json
      enforcer schema --path
      check-jsonschema --schemafile "$(enforcer schema --path)" policy.yaml
    """
    import os
    from importlib import resources

    file = resources.files("enforcer.policies").joinpath("schema.json")
    if show_path:
        if not isinstance(file, os.PathLike):  # an install from a zip: no file to point an editor at
            raise EnforcerError("this install keeps the schema in an archive, not in a file: save a copy with "
                                "`enforcer schema > policy.schema.json` and point the editor at that")
        click.echo(os.path.abspath(os.fspath(file)))
        return 0
    click.echo(file.read_text(), nl=False)
    return 0
