"""The policy reference, docs/reference.md, written from the JSON Schema (policies/schema.json).

Every section and field with its type, default, allowed values and description, nested
mappings as tables of their own. ``render(schema)`` is pure (a schema in, Markdown out);
the schema's descriptions are the text, so an editor's hover and the reference say the same.
A description may end with ``Default: ...`` (the schema keeps to validation keywords and
descriptions): that sentence goes to the default column; a ``default`` keyword wins over it.

Regenerate (tests/test_docs.py fails while the page differs)::

    python3 -m enforcer.schema_doc > docs/reference.md
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

REGENERATE = "python3 -m enforcer.schema_doc > docs/reference.md"
Schema = dict[str, Any]
_DEFAULT = re.compile(r"(?:^|\s)Default: (.*?)\.?\s*$", re.S)


def render(schema: Schema) -> str:
    """docs/reference.md for ``schema``."""
    lines = [
        f"<!-- Generated from policies/schema.json by `{REGENERATE}`: edit the schema, not this page. -->",
        "",
        "# policy.yaml reference",
        "",
        f"Generated from the JSON Schema, `policies/schema.json`, by `{REGENERATE}`; "
        "tests/test_docs.py fails while this page and the schema differ, so edit the schema's "
        "descriptions, never this page. The same text is what an editor shows on hover "
        "([editors.md](editors.md)).",
        "",
    ]
    if schema.get("description"):
        lines += [_text(schema["description"]), ""]
    facts = [f"`$id` `{schema['$id']}`"] if schema.get("$id") else []
    if schema.get("$schema"):
        facts.append(f"JSON Schema `{schema['$schema']}`")
    lines += [
        "How enforcer reads and decides each section, and the choices it makes where the rules "
        "leave room: [policy.md](policy.md). `enforcer schema` prints the schema, "
        "`enforcer schema --path` says where the installed copy is"
        + (f" ({', '.join(facts)})" if facts else "") + ".",
        "",
        "## Sections",
        "",
    ]
    lines += _table(schema, "", top=True) + [""]
    for name, field in _properties(schema):
        lines += _section(name, field, 2)
    return "\n".join(lines).rstrip("\n") + "\n"


# -- sections ---------------------------------------------------------------------------------

def _nested(field: Schema) -> tuple[str, Schema] | None:
    """(the suffix of its path, the mapping) where a field holds mappings with fields of their
    own: a mapping, a list of mappings, or a mapping of names to mappings."""
    if "properties" in field:
        return "", field
    items = field.get("items")
    if field.get("type") == "array" and isinstance(items, dict) and "properties" in items:
        return "[]", items
    values = field.get("additionalProperties")
    if isinstance(values, dict) and "properties" in values:
        return ".<name>", values
    return None


def _section(path: str, field: Schema, level: int) -> list[str]:
    nested = _nested(field)
    if nested is None:
        return []
    suffix, mapping = nested
    lines = ["#" * level + f" `{path}`", ""]
    description, _ = _split(field.get("description", ""))
    if description:
        lines += [_text(description), ""]
    shape = {"": "A mapping", "[]": "A list; each entry a mapping",
             ".<name>": f"A mapping of names to mappings (`{path}.<name>`)"}[suffix]
    own = mapping.get("description") if mapping is not field else None
    lines += [f"{shape} with these fields" + (f". {_text(own)}" if own else ":"), ""]
    names = field.get("propertyNames")
    if isinstance(names, dict):
        lines += [f"Names: {_text('; '.join(_allowed(names)))}."
                  + (f" {_text(names['description'])}" if names.get("description") else ""), ""]
    lines += _table(mapping, path + suffix)
    forms = _forms(mapping)
    if forms:
        lines += ["", f"Each entry takes exactly one of: {forms}."]
    lines.append("")
    for name, sub in _properties(mapping):
        lines += _section(f"{path}{suffix}.{name}", sub, min(level + 1, 6))
    return lines


def _table(mapping: Schema, path: str, top: bool = False) -> list[str]:
    required = set(mapping.get("required", ()))
    rows = ["| " + ("section" if top else "field") + " | type | default | allowed values | description |",
            "|---|---|---|---|---|"]
    for name, field in _properties(mapping):
        shown = f"`{name}`"
        nested = _nested(field)
        if nested is not None:
            shown = f"[{shown}](#{_slug(f'`{path}.{name}`' if path else f'`{name}`')})"
        if name in required:
            shown += " (required)"
        description, default = _split(field.get("description", ""))
        if "default" in field:
            default = f"`{json.dumps(field['default'])}`"
        cells = [shown, _type(field), default or "—", "; ".join(_allowed(field)) or "—", description or "—"]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _forms(mapping: Schema) -> str:
    """An entry's alternatives (a oneOf of required fields), as words; empty when it has none."""
    shown = []
    for alternative in mapping.get("oneOf", ()):
        if set(alternative) - {"required", "not"}:
            return ""
        words = " and ".join(f"`{n}`" for n in alternative.get("required", ()))
        without = alternative.get("not", {}).get("required", ())
        if without:
            words += " (without " + ", ".join(f"`{n}`" for n in without) + ")"
        shown.append(words)
    return "; ".join(shown)


# -- one field ----------------------------------------------------------------------------------

def _type(field: Schema) -> str:
    if "const" in field:
        return _json_type(field["const"])
    if "enum" in field:
        return " or ".join(dict.fromkeys(_json_type(v) for v in field["enum"]))
    if "oneOf" in field and "type" not in field:
        return " or ".join(dict.fromkeys(_type(alternative) for alternative in field["oneOf"]))
    kind = field.get("type")
    if kind == "array":
        items = field.get("items")
        return f"list of {_plural(_type(items))}" if isinstance(items, dict) else "list"
    if kind == "object":
        values = field.get("additionalProperties")
        if isinstance(values, dict) and "properties" not in field:
            return f"mapping of names to {_plural(_type(values))}"
        return "mapping"
    return kind if isinstance(kind, str) else "any"


def _plural(kind: str) -> str:
    if " or " in kind:
        return f"({kind})"
    if kind.startswith("list of "):
        return "lists of " + kind.removeprefix("list of ")
    if kind.startswith("mapping"):
        return "mappings" + kind.removeprefix("mapping")
    return {"any": "values"}.get(kind, kind + "s")


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "null"}[type(value)]


def _allowed(field: Schema) -> list[str]:
    out: list[str] = []
    if "const" in field:
        out.append(f"`{json.dumps(field['const'])}`")
    if "enum" in field:
        out.append(", ".join(f"`{v}`" if isinstance(v, str) else f"`{json.dumps(v)}`" for v in field["enum"]))
    if "pattern" in field:
        out.append(f"matches `{field['pattern']}`")
    if field.get("minLength") == 1:
        out.append("not empty")
    elif "minLength" in field:
        out.append(f"at least {field['minLength']} characters")
    if "maxLength" in field:
        out.append(f"at most {field['maxLength']} characters")
    if "minimum" in field and "maximum" in field:
        out.append(f"{field['minimum']} to {field['maximum']}")
    elif "minimum" in field:
        out.append(f"at least {field['minimum']}")
    elif "maximum" in field:
        out.append(f"at most {field['maximum']}")
    if "minItems" in field:
        out.append(f"at least {field['minItems']} " + ("entry" if field["minItems"] == 1 else "entries"))
    if "oneOf" in field and "type" not in field:
        out.append(" or ".join(f"{_type(a)}" + (f" ({', '.join(_allowed(a))})" if _allowed(a) else "")
                               for a in field["oneOf"]))
    items = field.get("items")
    if isinstance(items, dict) and "properties" not in items and _allowed(items):
        out.append("each entry: " + ", ".join(_allowed(items)))
    values = field.get("additionalProperties")
    if isinstance(values, dict) and "properties" not in values and _allowed(values):
        inner = _allowed(values)
        out.append("each value's entries: " + ", ".join(_allowed(values["items"]))
                   if len(inner) == 1 and inner[0].startswith("each entry: ") else "each value: " + ", ".join(inner))
    return out


def _split(description: str) -> tuple[str, str]:
    """(the description, its trailing ``Default: ...`` sentence's value, or "")."""
    found = _DEFAULT.search(description)
    if not found:
        return description.strip(), ""
    return description[:found.start()].strip(), found.group(1).strip()


def _properties(mapping: Schema) -> Iterator[tuple[str, Schema]]:
    yield from (mapping.get("properties") or {}).items()


def _text(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def main() -> int:
    from importlib import resources

    schema = json.loads(resources.files("enforcer.policies").joinpath("schema.json").read_text())
    print(render(schema), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
