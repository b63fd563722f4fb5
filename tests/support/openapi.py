"""Every answer an API test receives is checked against the OpenAPI document
(piglist/api/openapi.yaml) with openapi-core: its status must be one the operation lists, and its
body must match that answer's schema. So the document can't drift from what the code does without
a test failing. Requests to paths or methods the API doesn't have (a test of 404 or 405) have
nothing to be checked against and are let through."""

from __future__ import annotations

import functools

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from piglist.api.document import openapi_document


class _AnsweredRequest(WerkzeugOpenAPIRequest):
    """The request as the answer's check needs it: its body was read by the app, and only the
    answer is checked here, so the body isn't asked for again (Werkzeug would report the client
    gone)."""

    @property
    def body(self) -> bytes | None:
        return None


@functools.cache
def _openapi() -> OpenAPI:
    """The document, read once per test process without validating it as OpenAPI again (0.7 CPU-s
    a process): test_api_document's test_the_document_is_valid_openapi_3_1 does that, once."""
    return OpenAPI.from_dict(openapi_document(), config=Config(spec_validator_cls=None))


def check_against_document(response) -> None:
    """Fails the test when ``response`` (a Flask test client's answer to an /api/v1 request) is not
    what the document says that operation answers."""
    try:
        _openapi().validate_response(_AnsweredRequest(response.request), WerkzeugOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        if response.status_code not in (404, 405):
            raise AssertionError(
                f"{response.request.method} {response.request.path} answered {response.status_code} "
                "but is not in the OpenAPI document: describe the operation in piglist/api/openapi.yaml "
                "(parameters, body, every answer and error code; see the operations beside it)"
            ) from None
    except Exception as exc:
        details = "; ".join(str(e) for e in getattr(exc, "schema_errors", ()) or [exc.__cause__ or exc])
        raise AssertionError(
            f"{response.request.method} {response.request.path} → {response.status_code} breaks the OpenAPI "
            f"document (piglist/api/openapi.yaml): {exc.__class__.__name__}: {details}\n{response.get_data(as_text=True)[:500]}"
        ) from None
