"""The OpenAPI description of Huiku's JSON API, served at ``/api/openapi.json``.

Each package adds the paths and schemas of its own endpoints with ``register_api``; this module
only assembles them, so an endpoint and its description live side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

blueprint = Blueprint("openapi", __name__)

EXTENSION = "huiku.openapi"
#: → {"paths": {...}, "schemas": {...}, "securitySchemes": {...}}
Contribution = Callable[[], dict[str, Any]]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong, in English"},
        "message": {"type": "string", "description": "the same in the reader's language"},
    },
}


def register_api(app: Flask, contribution: Contribution) -> None:
    app.extensions.setdefault(EXTENSION, []).append(contribution)


def openapi_document(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    security_schemes: dict[str, Any] = {}
    for contribution in app.extensions.get(EXTENSION, []):
        part = contribution()
        paths.update(part.get("paths", {}))
        schemas.update(part.get("schemas", {}))
        security_schemes.update(part.get("securitySchemes", {}))
    components: dict[str, Any] = {"schemas": schemas}
    if security_schemes:
        components["securitySchemes"] = security_schemes
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Huiku (汇库) API",
            "version": "1.0",
            "description": (
                "Search and read the shared special collections of the alliance's libraries. "
                "Errors come as JSON with an English `error` and a localized `message`."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


@blueprint.route("/api/openapi.json")
def openapi_json() -> Response:
    response = jsonify(openapi_document(current_app._get_current_object()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
