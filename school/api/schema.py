"""The OpenAPI schema's error responses, documented once for every operation.

drf-spectacular documents the success response of each view; the errors come from DRF and from
``school.api.exceptions`` in the same two shapes everywhere, so instead of repeating them on every view this
``AutoSchema`` adds them to each operation where the view can answer them:

- 400 (``ValidationError`` field errors, or ``Error`` for a body that is not JSON) where the operation takes
  a body or query parameters;
- 401 where the view authenticates (no credentials, or a bad token), 403 where it needs a signed-in user
  (a role, someone else's classroom, or a CSRF failure with a session);
- 404 where the path, or a ``..._id`` field of the body, names something by id (an unknown classroom);
- 409 on every write (state conflicts and integrity races);
- 413 where it takes a body (over Django's upload limit); 429 where the view is throttled;
- 503 on every operation: the database out of reach (``school.api.exceptions.DatabaseUnavailable``, any
  view can meet it), with ``Retry-After``.

A response a view declares itself (``extend_schema(responses=...)``) is kept as it is.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_list_serializer, is_serializer
from rest_framework.permissions import SAFE_METHODS, AllowAny

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"
FIELD_ERRORS = "FieldErrors"

ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request failed, in one sentence.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Field errors: each field (or `non_field_errors`) maps to its messages; a nested object's errors "
        "nest, and a list's errors are given per item (an array, or an object keyed by position)."
    ),
    "additionalProperties": {"$ref": f"#/components/schemas/{FIELD_ERRORS}"},
}
FIELD_ERRORS_SCHEMA = {
    "anyOf": [
        {"type": "array", "items": {"anyOf": [{"type": "string"},
                                              {"$ref": f"#/components/schemas/{VALIDATION_ERROR}"}]}},
        {"$ref": f"#/components/schemas/{VALIDATION_ERROR}"},
    ],
}

DESCRIPTIONS = {
    "400": "Bad input: field errors, or a body that is not valid JSON.",
    "401": "Not signed in, or the token is not valid.",
    "403": "Signed in, but not allowed to do this.",
    "404": "Nothing with this id (or nothing you may see).",
    "409": "Conflicts with the current state of the data.",
    "413": "The request body is too large.",
    "429": "Too many requests: wait as long as the Retry-After header says.",
    "503": "The database is unavailable for a moment: send the same request again after Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}}


def json_response(code: str, ref: dict) -> dict:
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with the error responses each operation can give."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for code, response in self.error_responses(operation).items():
            operation["responses"].setdefault(code, response)
        return operation

    def error_responses(self, operation: dict) -> dict[str, dict]:
        """The error responses of ``operation`` (already built for this view and method), by status code."""
        error = self.register_component(ERROR, ERROR_SCHEMA)
        validation_error = self.register_component(VALIDATION_ERROR, VALIDATION_ERROR_SCHEMA)
        self.register_component(FIELD_ERRORS, FIELD_ERRORS_SCHEMA)

        parameters = operation.get("parameters", [])
        takes_input = "requestBody" in operation or any(p["in"] != "path" for p in parameters)
        authenticates = bool(self.view.get_authenticators())
        signed_in_only = not all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        responses = {}
        if takes_input:
            responses["400"] = json_response("400", {"anyOf": [validation_error, error]})
        if authenticates:
            responses["401"] = json_response("401", error)
        if authenticates and signed_in_only:
            responses["403"] = json_response("403", error)
        if any(p["in"] == "path" for p in parameters) or ("requestBody" in operation and self.body_names_an_id()):
            responses["404"] = json_response("404", error)
        if self.method not in SAFE_METHODS:
            responses["409"] = json_response("409", error)
        if "requestBody" in operation:
            responses["413"] = json_response("413", error)
        if self.view.get_throttles():
            responses["429"] = {**json_response("429", error), "headers": RETRY_AFTER}
        responses["503"] = {**json_response("503", error), "headers": RETRY_AFTER}
        return responses

    def body_names_an_id(self) -> bool:
        """Whether the request body has a field such as ``classroom_id``, which the views look up (404 unknown)."""
        serializer = force_instance(self.get_request_serializer())
        if not is_serializer(serializer) or is_list_serializer(serializer):
            return False
        return any(name.endswith("_id") for name in serializer.fields)

    def register_component(self, name: str, schema: dict) -> dict:
        """Add the shared schema ``name`` to the components (once) and return a reference to it."""
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref
