"""The OpenAPI document as Swagger UI (the one /docs serves) reads it.

FastAPI writes a parameter's ``Query(examples=[...])`` as JSON Schema ``examples`` inside the
parameter's schema. Swagger UI 5 neither shows nor pre-fills that keyword: "Try it out" fills
a parameter from the parameter's own ``example`` (or ``examples``), its schema's ``example``,
or its schema's ``default``. :func:`openapi_document` therefore lifts each parameter's first
schema example (else its default) to the parameter's ``example``, and makes a request body
without an example one of its properties' examples, once, for every route; the routes keep
declaring their examples where they declare the parameter or the field.

The document also declares the bearer token every route reads (:func:`api.deps.caller`), as
optional, so that /docs has an "Authorize" button and "Try it out" can write.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = [
    "BEARER",
    "declare_bearer",
    "lift_body_examples",
    "lift_parameter_examples",
    "openapi_document",
]

#: The token scheme of every route: ``Authorization: Bearer <token>``.
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "a token from `recruitgraph token create`; without one you read the "
    "public datasets (unless the server runs with --no-anonymous)",
}


def _first_example(schema: dict[str, Any]) -> tuple[bool, Any]:
    """(found, value): the schema's first ``examples`` entry, else its ``default``, looking
    into the alternatives of an optional parameter (``anyOf: [..., {"type": "null"}]``)."""
    for candidate in (schema, *schema.get("anyOf", ())):
        if candidate.get("examples"):
            return True, candidate["examples"][0]
    for candidate in (schema, *schema.get("anyOf", ())):
        if "default" in candidate:
            return True, candidate["default"]
    return False, None


def lift_parameter_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every parameter of ``document`` that has none a parameter-level ``example`` (see
    the module's docstring); returns ``document``, changed in place."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                if "example" in parameter or "examples" in parameter:
                    continue
                found, value = _first_example(parameter.get("schema", {}))
                if found and value is not None:
                    parameter["example"] = value
    return document


def _object_example(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any] | None:
    """An object made of the first example of each property of ``schema`` (a reference to a
    component resolved), or None when no property has one."""
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    example = {
        name: found[1]
        for name, property_schema in schema.get("properties", {}).items()
        if (found := _first_example(property_schema))[0] and found[1] is not None
    }
    return example or None


def lift_body_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every request body of ``document`` that has none a media-level ``example`` made
    of its properties' examples (a body model's ``Field(examples=...)``); returns
    ``document``, changed in place."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                if "example" in media or "examples" in media:
                    continue
                example = _object_example(media.get("schema", {}), document)
                if example is not None:
                    media["example"] = example
    return document


def declare_bearer(document: dict[str, Any]) -> dict[str, Any]:
    """Declare :data:`BEARER` for every operation, as optional (``{}``: no token); returns
    ``document``, changed in place."""
    document.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER
    document["security"] = [{}, {"bearer": []}]
    return document


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document (FastAPI builds it once) with its parameter
    examples where Swagger UI reads them. Installed as ``app.openapi``."""
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)
        app.openapi_schema = declare_bearer(lift_body_examples(lift_parameter_examples(document)))
    return app.openapi_schema
