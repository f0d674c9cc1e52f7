"""The API's own description: ``/api/v1/openapi.json``."""

from __future__ import annotations

from flask import jsonify

from practice.api.openapi import api_document
from practice.api.routing import bp
from practice.web import access


@bp.route("/openapi.json")
@access.public
def openapi_document():
    """The OpenAPI 3.1 document of this API, generated from its routes and schemas."""
    return jsonify(api_document())
