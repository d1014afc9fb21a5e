"""The newcomer's path (issue 20): the reference generated from the schema stays in sync, the
schema is usable from an editor, every command's --help teaches by example, --version, and
shell completion."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from click.testing import CliRunner

from enforcer import __version__
from enforcer.cli import cli
from enforcer.main import main
from enforcer.schema_doc import REGENERATE, render
from enforcer.validate import load_schema
from tests.conftest import ROOT

COMMANDS = sorted(cli.commands)


# -- the reference, from the schema -----------------------------------------------------------

def test_reference_is_generated_from_the_schema() -> None:
    page = ROOT / "docs" / "reference.md"
    made = render(load_schema())
    assert page.exists() and page.read_text() == made, \
        f"docs/reference.md differs from policies/schema.json: regenerate it with `{REGENERATE}`"


def _fields(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, field in (schema.get("properties") or {}).items():
        yield f"{path}{name}", field
        yield from _fields(field, f"{path}{name}.")
    for key, suffix in (("items", "[]."), ("additionalProperties", ".<name>.")):
        if isinstance(schema.get(key), dict):
            yield from _fields(schema[key], path.rstrip(".") + suffix)


def test_every_field_is_described() -> None:
    undescribed = [path for path, field in _fields(load_schema()) if not field.get("description")]
    assert not undescribed, f"fields without a description in policies/schema.json: {undescribed}"


def test_reference_lists_every_field() -> None:
    page = (ROOT / "docs" / "reference.md").read_text()
    for path, _ in _fields(load_schema()):
        assert f"| `{path.rsplit('.', 1)[-1]}`" in page or f"[`{path.rsplit('.', 1)[-1]}`]" in page, path


def test_schema_id_is_no_address() -> None:
    """A URN: it names the schema without pretending to be somewhere to fetch it from; a $ref
    through it still resolves."""
    import referencing

    schema = load_schema()
    assert schema["$id"] == "urn:enforcer:policy:v1"
    jsonschema.Draft202012Validator.check_schema(schema)
    registry = referencing.Registry().with_resource(schema["$id"], referencing.Resource.from_contents(schema))
    branches = jsonschema.Draft202012Validator({"$ref": f"{schema['$id']}#/properties/branches"}, registry=registry)
    assert [e.validator for e in branches.iter_errors([{"match": "main", "pushh": []}])] == ["additionalProperties"]
    whole = jsonschema.Draft202012Validator({"$ref": schema["$id"]}, registry=registry)
    assert not list(whole.iter_errors({"version": 1, "branches": [{"match": "main", "push": ["a"]}]}))


# -- the schema, from an editor -------------------------------------------------------------------

# keywords that mean the same in draft-07, which yaml-language-server validates with (docs/editors.md)
DRAFT_07_ALIKE = {"$schema", "$id", "title", "description", "type", "properties", "additionalProperties",
                  "required", "items", "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
                  "minItems", "maxItems", "oneOf", "anyOf", "allOf", "not", "propertyNames", "uniqueItems"}


def _keywords(schema: dict[str, Any]) -> Iterator[str]:
    yield from schema
    subschemas = [*(schema.get("properties") or {}).values(), *schema.get("oneOf", ()), *schema.get("anyOf", ()),
                  *schema.get("allOf", ())]
    subschemas += [schema[k] for k in ("additionalProperties", "items", "propertyNames", "not")
                   if isinstance(schema.get(k), dict)]
    for sub in subschemas:
        yield from _keywords(sub)


def test_editors_understand_every_keyword() -> None:
    assert set(_keywords(load_schema())) <= DRAFT_07_ALIKE

def test_schema_path_is_the_installed_schema(tmp_path: Path) -> None:
    where = subprocess.run(["enforcer", "schema", "--path"], cwd=tmp_path, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    path = Path(where.stdout.strip())
    assert where.stdout.count("\n") == 1 and path.is_absolute() and path.is_file()
    printed = subprocess.run(["enforcer", "schema"], cwd=tmp_path, capture_output=True, text=True)
    assert printed.returncode == 0
    assert json.loads(path.read_text()) == json.loads(printed.stdout) == load_schema()


# -- --help teaches -----------------------------------------------------------------------------

_RUN = re.compile(r"^\s+(?:.*\|\s*)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*enforcer\s+(?:-C\s+\S+\s+)?(\S+)")


def _examples(text: str) -> list[str]:
    """The commands an --help's `Example` blocks run (after `VAR=value`s or a pipe)."""
    shown, inside = [], False
    for line in text.splitlines():
        if re.match(r"\s*Examples?\b", line):
            inside = True
        elif not line.strip():
            inside = False
        elif inside:
            found = _RUN.match(line)
            if found:
                shown.append(found.group(1))
    return shown


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"], prog_name="enforcer")
    assert result.exit_code == 0, result.output
    assert f"Usage: enforcer {name}" in result.output
    assert name in _examples(result.output), f"`enforcer {name} --help` shows no example running it:\n{result.output}"


@pytest.mark.parametrize("name", COMMANDS)
def test_help_through_the_entry_point(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    assert name in _examples(capsys.readouterr().out)


def test_group_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert _examples(capsys.readouterr().out)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"enforcer, version {__version__}\n"


# -- shell completion (docs/completion.md) ------------------------------------------------------

def _complete(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["enforcer"], cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, **env})


@pytest.mark.parametrize("shell, needle", [("bash", "complete -o nosort -F _enforcer_completion enforcer"),
                                           ("zsh", "#compdef enforcer"),
                                           ("fish", "complete --no-files --command enforcer")])
def test_completion_script(shell: str, needle: str, tmp_path: Path) -> None:
    proc = _complete(tmp_path, _ENFORCER_COMPLETE=f"{shell}_source")
    assert proc.returncode == 0, proc.stderr
    assert "complete" in proc.stdout and needle in proc.stdout


def test_completion_completes(tmp_path: Path) -> None:
    """What the script asks for: commands, and a command's options, through enforcer.main (whose
    fast paths must not catch it: completion runs `enforcer` with no arguments)."""
    words = _complete(tmp_path, _ENFORCER_COMPLETE="bash_complete", COMP_WORDS="enforcer dep", COMP_CWORD="1")
    assert words.returncode == 0
    assert words.stdout.split() == ["plain,deploy", "plain,deploy-log", "plain,deployments"]
    for line in ("enforcer check --f", "enforcer hook --f", "enforcer command --f"):
        options = _complete(tmp_path, _ENFORCER_COMPLETE="bash_complete", COMP_WORDS=line, COMP_CWORD="2")
        assert options.returncode == 0, line
    options = _complete(tmp_path, _ENFORCER_COMPLETE="bash_complete", COMP_WORDS="enforcer check --f",
                        COMP_CWORD="2")
    assert options.stdout.split() == ["plain,--format"]
    choices = _complete(tmp_path, _ENFORCER_COMPLETE="bash_complete", COMP_WORDS="enforcer check --format ",
                        COMP_CWORD="3")
    assert choices.stdout.split() == ["plain,text", "plain,json", "plain,github"]


# -- the pages link to what is there ------------------------------------------------------------

@pytest.mark.parametrize("page", ["reference.md", "editors.md", "completion.md", "comparison.md"])
def test_relative_links_resolve(page: str) -> None:
    text = (ROOT / "docs" / page).read_text()
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (ROOT / "docs" / target).exists(), f"docs/{page} links to {target}, which is not there"
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        headings = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
                    for h in re.findall(r"^#+ (.+)$", text, re.M)}
        assert anchor in headings, f"docs/{page} links to #{anchor}, which no heading makes"
