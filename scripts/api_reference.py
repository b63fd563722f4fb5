"""Writes docs/api.md, the API reference a person reads, from the OpenAPI document
(piglist/api/openapi.yaml) that programs read and the tests keep true; so the two can't disagree.
`make api-docs` runs it; tests/test_api_document.py fails when docs/api.md is stale.

Run: python scripts/api_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piglist.api.document import openapi_document  # noqa: E402

REFERENCE = ROOT / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = document[section][kind][name]
    return node


def _type(document: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and "items" in schema:
        return f"array of {_type(document, schema['items'])}"
    return kind


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    schema = _resolve(document, schema)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in schema.get("allOf", [schema]):
        part = _resolve(document, part)
        properties.update(part.get("properties", {}))
        required.update(part.get("required", []))
    if not properties:
        return []
    lines = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, field in properties.items():
        notes = _cell(field.get("description", ""))
        lines.append(
            f"| `{name}` | {_type(document, field)} | {'yes' if name in required else ''} | {notes} |"
        )
    return lines


def _operation(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", operation.get("summary", "")]
    if operation.get("description"):
        lines += ["", operation["description"].strip()]
    if operation.get("security") == []:
        lines += ["", "No login needed."]
    parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
    query = [p for p in parameters if p["in"] in ("query", "header")]
    if query:
        lines += ["", "| parameter | in | type | notes |", "|---|---|---|---|"]
        lines += [
            f"| `{p['name']}` | {p['in']} | {_type(document, p.get('schema', {}))} | {_cell(p.get('description', ''))} |"
            for p in query
        ]
    body = operation.get("requestBody")
    if body:
        for media, content in _resolve(document, body)["content"].items():
            lines += ["", f"Body (`{media}`):", ""]
            lines += _properties(document, content.get("schema", {})) or ["(see the document)"]
    lines += ["", "| answer | meaning |", "|---|---|"]
    for status, answer in sorted(
        operation["responses"].items(), key=lambda item: item[0].replace("default", "9")
    ):
        answer = _resolve(document, answer)
        lines.append(
            f"| {'500' if status == 'default' else status} | {_cell(answer.get('description', ''))} |"
        )
    return [*lines, ""]


def render() -> str:
    document = openapi_document()
    info = document["info"]
    lines = [
        f"# {info['title']} (version {info['version']})",
        "",
        "<!-- Written by scripts/api_reference.py from piglist/api/openapi.yaml: edit that, then `make api-docs`. -->",
        "",
        info["description"].strip(),
        "",
        "The machine-readable document: `GET /api/v1/openapi.json`. Paths below are under `/api/v1`.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        t["name"]: [] for t in document.get("tags", [])
    }
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                operation = {**operations[method]}
                operation["parameters"] = operations.get("parameters", []) + operation.get("parameters", [])
                by_tag.setdefault(operation.get("tags", ["other"])[0], []).append((path, method, operation))
    for tag, operations in by_tag.items():
        if not operations:
            continue
        lines += [f"## {tag.capitalize()}", ""]
        for path, method, operation in operations:
            lines += _operation(document, path, method, operation)
    lines += ["## Shapes", ""]
    for name, schema in document["components"]["schemas"].items():
        table = _properties(document, schema)
        lines += [f"### {name}", ""]
        lines += table or [
            f"{_type(document, schema)}"
            + (f", matching `{schema['pattern']}`" if "pattern" in schema else "")
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not REFERENCE.exists() or REFERENCE.read_text(encoding="utf-8") != text:
            print("docs/api.md is out of date: run `make api-docs`.", file=sys.stderr)
            return 1
        return 0
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
