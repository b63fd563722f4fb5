"""The API's OpenAPI document (piglist/api/openapi.yaml) kept true: it validates as OpenAPI 3.1, it
is served at /api/v1/openapi.json, it names exactly the routes Flask has under /api/v1, and a
property-based run (schemathesis) against the site served the Procfile's way finds no server
error, no status the document doesn't list and no answer that breaks its schema. (Each API test's
answer is also checked against it: tests/support/openapi.py.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from piglist.api.document import openapi_document
from scripts import api_reference

from .support.sites import ProcfileSite, site_family

METHODS = {"get", "post", "put", "patch", "delete"}
# Operations the property-based run leaves alone: each ends the session it runs with (its token
# revoked, every login ended, the account erased), after which every later case is a bare 401.
# Their behaviour is covered by tests/test_accounts_api.py and tests/test_profile_api.py.
SESSION_ENDING = ("revoke_token", "log_out_everywhere", "revoke_token_by_id", "erase")
# A fixed seed, so a CI failure can be replayed; SCHEMATHESIS_SEED explores others.
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261207")


def shape(path: str) -> str:
    """A path with its parameters' names erased: /groups/<int:group_id> and /groups/{gid} agree."""
    return re.sub(r"<(?:[^:>]+:)?[^>]+>|\{[^}]+\}", "{}", path)


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_document_is_served_as_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == openapi_document()


def test_every_route_under_the_api_is_in_the_document_and_nothing_else(app):
    in_flask = {
        (method.lower(), shape(rule.rule.removeprefix("/api/v1")))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods
        if method.lower() in METHODS
    }
    in_document = {
        (method, shape(path))
        for path, operations in openapi_document()["paths"].items()
        for method in operations
        if method in METHODS
    }
    assert in_flask - in_document == set(), "routes the document doesn't describe"
    assert in_document - in_flask == set(), "operations the document promises that Flask lacks"


def test_every_operation_has_an_id_a_summary_and_its_errors():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("operationId") and operation.get("summary"), where
            assert "default" in operation["responses"], f"{where}: no default (500) answer"
            if operation.get("security") != []:
                assert "401" in operation["responses"], f"{where}: no 401 though it needs a login"


def test_the_api_reference_in_docs_is_written_from_the_document():
    assert Path("docs/api.md").read_text(encoding="utf-8") == api_reference.render(), (
        "docs/api.md is out of date: run `make api-docs`"
    )


def test_schemathesis_finds_no_server_error_nor_undocumented_answer(tmp_path):
    """On a site of its own, served the Procfile's way: the fuzz registers and logs in hundreds of
    times, which would spend the shared site's per-address limits for the tests after it. Its long
    polls hold at most 1 s (LONG_POLL_SECONDS): every example of the two long-poll operations
    otherwise sat out its ``wait`` (up to 25 s) with nothing to wait for."""
    site = ProcfileSite(tmp_path / "site", env={"LONG_POLL_SECONDS": "1"})
    site.migrate().start(worker=False, release=False)
    try:
        run_schemathesis(site, tmp_path)
    finally:
        site.stop()


def run_schemathesis(procfile_site: ProcfileSite, tmp_path: Path) -> None:
    family = site_family(procfile_site)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{procfile_site.url}/api/v1/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--header",
        f"Authorization: Bearer {family.tokens['admin']}",
        "--max-examples",
        "10",
        "--workers",
        "1",
        "--seed",
        SEED,
        "--request-timeout",
        "60",  # a deadline: a long poll on a production site may wait 25 s by design
        "--no-color",
    ]
    for operation in SESSION_ENDING:
        command += ["--exclude-operation-id", operation]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:] + procfile_site.tail("web")


def test_the_document_repeats_no_key():
    """YAML keeps the last of two equal keys silently: a second `parameters:` would drop the first."""

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            assert key not in seen, f"{key!r} twice, line {key_node.start_mark.line + 1}"
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load(Path("piglist/api/openapi.yaml").read_text(encoding="utf-8"), Loader=Strict)  # noqa: S506
