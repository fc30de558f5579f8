"""``/oai``: the OAI-PMH 2.0 endpoint (GET and POST), and the ``huiku`` format's schema."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, request
from lxml import etree

from interop.oai.arguments import OAIRequest, parse_request
from interop.oai.errors import OAIError
from interop.oai.formats import huiku_schema
from interop.oai.verbs import OAI_NS, VERBS, XSI_NS, E
from interop.web import absolute_url, utc_seconds, xml_response

blueprint = Blueprint("oai", __name__)

OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"


@blueprint.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    values = request.form if request.method == "POST" else request.args
    responded = datetime.now(UTC)
    parsed: OAIRequest | None = None
    try:
        parsed = parse_request(values)
        body = VERBS[parsed.verb](parsed)
    except OAIError as error:
        trusted = parsed if error.code not in OAIError.UNTRUSTED_ARGUMENTS else None
        return xml_response(_envelope(responded, trusted, E.error(error.message, code=error.code)))
    return xml_response(_envelope(responded, parsed, body))


@blueprint.route("/oai/schemas/huiku.xsd")
def huiku_schema_file() -> Response:
    response = xml_response(huiku_schema())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _envelope(
    responded: datetime, parsed: OAIRequest | None, body: etree._Element
) -> etree._Element:
    root = E("OAI-PMH")
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    root.append(E.responseDate(utc_seconds(responded)))
    described = E.request(absolute_url("oai.endpoint"))
    if parsed is not None:
        described.set("verb", parsed.verb)
        for name, value in parsed.arguments.items():
            described.set(name, value)
    root.append(described)
    root.append(body)
    return root
