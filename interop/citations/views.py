"""RIS and BibTeX downloads of a record, beside its page and its JSON."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user

from interop.citations.model import citation_of
from interop.citations.styles import bibtex as bibtex_entry
from interop.citations.styles import ris as ris_record
from repository.services.browse import visible_record

blueprint = Blueprint("citations", __name__)


def _file(body: str, content_type: str, name: str) -> Response:
    response = Response(body.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blueprint.route("/records/<public_id>.ris")
def ris(public_id: str) -> Response:
    citation = citation_of(visible_record(public_id, current_user))
    return _file(ris_record(citation), "application/x-research-info-systems", f"{public_id}.ris")


@blueprint.route("/records/<public_id>.bib")
def bibtex(public_id: str) -> Response:
    citation = citation_of(visible_record(public_id, current_user))
    return _file(bibtex_entry(citation), "application/x-bibtex", f"{public_id}.bib")
