"""The six verbs: each reads its checked arguments and returns the element named after it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import current_app
from lxml import etree
from lxml.builder import ElementMaker
from sqlalchemy import select

from interop.oai import items, tokens
from interop.oai.arguments import OAIRequest, date_range
from interop.oai.errors import (
    bad_argument,
    bad_token,
    cannot_disseminate,
    no_records,
    no_such_id,
)
from interop.oai.formats import (
    DC_NS,
    FORMATS,
    OAI_DC,
    OAI_DC_NS,
    MetadataFormat,
    per_request,
)
from interop.oai.items import COLLECTION_SET, LIBRARY_SET, Item, Selection
from interop.web import absolute_url, public_host, utc_seconds
from repository.extensions import db
from repository.models import Collection, Library

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
E = ElementMaker(namespace=OAI_NS, nsmap={None: OAI_NS, "xsi": XSI_NS})
# The oai-identifier description requires a domain-like repository identifier.
_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
_SET_SPEC = re.compile(rf"({COLLECTION_SET}|{LIBRARY_SET})(:[A-Za-z0-9\-_.!~*'()]+)?")


def repository_id() -> str:
    """Looked up once per request: every header of a list page names it."""
    return per_request(
        "repository_id", lambda: current_app.config["OAI_REPOSITORY_ID"] or public_host()
    )


def oai_identifier(public_id: str) -> str:
    return f"oai:{repository_id()}:{public_id}"


def public_id_of(identifier: str) -> str:
    prefix = f"oai:{repository_id()}:"
    if not identifier.startswith(prefix) or len(identifier) == len(prefix):
        raise no_such_id(identifier)
    return identifier.removeprefix(prefix)


def identify(request: OAIRequest) -> etree._Element:
    config = current_app.config
    earliest = items.earliest_datestamp() or datetime.now(UTC)
    emails = config["OAI_ADMIN_EMAILS"] or [f"webmaster@{public_host()}"]
    element = E.Identify(
        E.repositoryName(config["OAI_REPOSITORY_NAME"] or _default_name()),
        E.baseURL(absolute_url("oai.endpoint")),
        E.protocolVersion("2.0"),
        *(E.adminEmail(email) for email in emails),
        E.earliestDatestamp(utc_seconds(earliest)),
        E.deletedRecord("persistent"),
        E.granularity("YYYY-MM-DDThh:mm:ssZ"),
    )
    if _REPOSITORY_ID.fullmatch(repository_id()):
        described = ElementMaker(namespace=OAI_IDENTIFIER_NS, nsmap={None: OAI_IDENTIFIER_NS})
        description = described("oai-identifier")
        description.set(
            f"{{{XSI_NS}}}schemaLocation",
            f"{OAI_IDENTIFIER_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
        )
        description.extend(
            [
                described.scheme("oai"),
                described.repositoryIdentifier(repository_id()),
                described.delimiter(":"),
                described.sampleIdentifier(oai_identifier("2bx7kq9mhd")),
            ]
        )
        element.append(E.description(description))
    return element


def _default_name() -> str:
    config = current_app.config
    return f"汇库 Huiku — {config['ALLIANCE_NAME_ZH']} / {config['ALLIANCE_NAME_EN']}"


def list_metadata_formats(request: OAIRequest) -> etree._Element:
    identifier = request.get("identifier")
    if identifier is not None and items.find(public_id_of(identifier)) is None:
        raise no_such_id(identifier)
    return E.ListMetadataFormats(
        *(
            E.metadataFormat(
                E.metadataPrefix(f.prefix), E.schema(f.schema()), E.metadataNamespace(f.namespace)
            )
            for f in FORMATS.values()
        )
    )


def list_sets(request: OAIRequest) -> etree._Element:
    if request.get("resumptionToken") is not None:
        raise bad_token("ListSets is answered in one response; it has no resumption tokens")
    element = E.ListSets(
        E.set(E.setSpec(COLLECTION_SET), E.setName("专题库 / Collections")),
        E.set(E.setSpec(LIBRARY_SET), E.setName("成员馆 / Member libraries")),
    )
    collections = db.session.scalars(
        select(Collection).where(Collection.published).order_by(Collection.slug)
    )
    for collection in collections:
        element.append(
            E.set(
                E.setSpec(f"{COLLECTION_SET}:{collection.slug}"),
                E.setName(_both(collection.title_zh, collection.title_en)),
                *_set_description(collection.description_zh, collection.description_en),
            )
        )
    for library in db.session.scalars(select(Library).order_by(Library.code)):
        element.append(
            E.set(
                E.setSpec(f"{LIBRARY_SET}:{library.code}"),
                E.setName(_both(library.name_zh, library.name_en)),
            )
        )
    return element


def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}" if en and en != zh else zh


def _set_description(zh: str, en: str) -> list[etree._Element]:
    if not (zh or en):
        return []
    description = OAI_DC.dc()
    description.set(
        f"{{{XSI_NS}}}schemaLocation",
        f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    )
    for lang, text in (("zh-Hans", zh), ("en", en)):
        if text:
            element = etree.SubElement(description, f"{{{DC_NS}}}description")
            element.text = text
            element.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return [E.setDescription(description)]


def get_record(request: OAIRequest) -> etree._Element:
    metadata_format = _format(request.arguments["metadataPrefix"])
    identifier = request.arguments["identifier"]
    item = items.find(public_id_of(identifier))
    if item is None:
        raise no_such_id(identifier)
    return E.GetRecord(_record(item, metadata_format))


def list_identifiers(request: OAIRequest) -> etree._Element:
    return _list(request, with_records=False)


def list_records(request: OAIRequest) -> etree._Element:
    return _list(request, with_records=True)


def _list(request: OAIRequest, *, with_records: bool) -> etree._Element:
    token = request.get("resumptionToken")
    state = tokens.decode(token, request.verb) if token is not None else _first_state(request)
    metadata_format = FORMATS[state.prefix]
    selection = Selection(state.set_spec, state.start_at, state.end_at, state.after)
    size = max(1, int(current_app.config["OAI_PAGE_SIZE"]))
    found, more = items.page(selection, size, with_records=with_records)
    if not found and token is None:
        raise no_records()
    element = E(request.verb)
    for item in found:
        element.append(_record(item, metadata_format) if with_records else _header(item))
    if token is not None or more:
        element.append(_resumption(state, found, more, selection))
    return element


def _first_state(request: OAIRequest) -> tokens.ListState:
    prefix = request.arguments["metadataPrefix"]
    _format(prefix)
    start, until = date_range(request)
    set_spec = request.get("set")
    if set_spec is not None and not _SET_SPEC.fullmatch(set_spec):
        raise bad_argument(f"{set_spec!r} is not a set of this repository (see ListSets)")
    # The list ends where it began: what changes while a harvester pages comes next time.
    end = datetime.now(UTC)
    if until is not None:
        end = min(end, until.end)
    return tokens.ListState(
        verb=request.verb,
        prefix=prefix,
        set_spec=set_spec,
        start=start.value.isoformat() if start else None,
        end=end.isoformat(),
    )


def _resumption(
    state: tokens.ListState, found: list[Item], more: bool, selection: Selection
) -> etree._Element:
    size = state.size if state.size is not None else items.count(selection)
    element = E.resumptionToken(completeListSize=str(size), cursor=str(state.cursor))
    if more:
        last = found[-1]
        following = tokens.ListState(
            **{
                **state.__dict__,
                "after_datestamp": last.datestamp.isoformat(),
                "after_id": last.public_id,
                "cursor": state.cursor + len(found),
                "size": size,
            }
        )
        element.text = tokens.encode(following)
        expires = datetime.now(UTC).timestamp() + tokens.lifetime()
        element.set("expirationDate", utc_seconds(datetime.fromtimestamp(expires, UTC)))
    return element


def _format(prefix: str) -> MetadataFormat:
    try:
        return FORMATS[prefix]
    except KeyError:
        raise cannot_disseminate(prefix) from None


def _header(item: Item) -> etree._Element:
    header = E.header(
        E.identifier(oai_identifier(item.public_id)),
        E.datestamp(utc_seconds(item.datestamp)),
        *(E.setSpec(spec) for spec in item.set_specs),
    )
    if item.deleted:
        header.set("status", "deleted")
    return header


def _record(item: Item, metadata_format: MetadataFormat) -> etree._Element:
    record = E.record(_header(item))
    if not item.deleted and item.record is not None:
        record.append(E.metadata(metadata_format.render(item.record, item.library_codes)))
    return record


VERBS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}
