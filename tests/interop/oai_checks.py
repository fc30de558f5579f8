"""Checks every OAI-PMH response against the shape the protocol's XML Schema gives it.

The schema itself (OAI-PMH.xsd) is not shipped by any package installable here and the test
machines have no internet access, so this is a structural check written from the protocol
(section 3 and the schema's element order): the envelope, each verb's element and its
children in order, the formats of datestamps, identifiers and resumption tokens, and the shape
of the ``oai_dc`` records (``oai_dc:dc`` holding only the fifteen ``dc:*`` elements). Records
in the ``huiku`` format are validated with lxml against the XML Schema Huiku serves.
"""

from __future__ import annotations

import re

from lxml import etree

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
HUIKU = "{urn:x-huiku:record:1}"
XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
DC_ELEMENTS = {
    "title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
    "format", "identifier", "source", "language", "relation", "coverage", "rights",
}  # fmt: skip
UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
ERROR_CODES = {
    "cannotDisseminateFormat", "idDoesNotExist", "badArgument", "badVerb", "noMetadataFormats",
    "noRecordsMatch", "badResumptionToken", "noSetHierarchy",
}  # fmt: skip
OAI_IDENTIFIER = re.compile(r"oai:[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+:[\w.!~*'()\-]+")


def tag(element: etree._Element) -> str:
    return etree.QName(element).localname


def children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def check_response(body: bytes, huiku_schema: etree.XMLSchema | None = None) -> etree._Element:
    """The parsed response, after asserting it has the shape OAI-PMH 2.0 requires."""
    root = etree.fromstring(body)
    assert root.tag == f"{OAI}OAI-PMH"
    assert root.get(XSI_LOCATION, "").split() == [
        "http://www.openarchives.org/OAI/2.0/",
        "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
    ]
    parts = children(root)
    assert [p.tag for p in parts[:2]] == [f"{OAI}responseDate", f"{OAI}request"]
    assert UTC_SECONDS.fullmatch(parts[0].text)
    request = parts[1]
    assert request.text and request.text.startswith("http") and not children(request)
    rest = parts[2:]
    assert rest, "no answer after <request>"
    if rest[0].tag == f"{OAI}error":
        for error in rest:
            assert error.tag == f"{OAI}error" and error.get("code") in ERROR_CODES
        if rest[0].get("code") in ("badVerb", "badArgument"):
            assert not request.attrib, "a bad request must not be echoed"
        return root
    assert len(rest) == 1
    answer = rest[0]
    assert answer.tag == f"{OAI}{request.get('verb')}"
    CHECKS[tag(answer)](answer, huiku_schema)
    return root


def _identify(answer, _schema) -> None:
    names = [tag(c) for c in children(answer)]
    head = ["repositoryName", "baseURL", "protocolVersion"]
    assert names[:3] == head
    emails = 0
    while names[3 + emails] == "adminEmail":
        emails += 1
    assert emails >= 1
    tail = names[3 + emails :]
    assert tail[:3] == ["earliestDatestamp", "deletedRecord", "granularity"]
    assert all(name in ("compression", "description") for name in tail[3:])
    values = {tag(c): c.text for c in children(answer)}
    assert values["protocolVersion"] == "2.0"
    assert values["deletedRecord"] in ("no", "persistent", "transient")
    assert values["granularity"] in ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ")
    assert UTC_SECONDS.fullmatch(values["earliestDatestamp"])
    for description in answer.iter(f"{OAI}description"):
        assert len(children(description)) == 1


def _formats(answer, _schema) -> None:
    formats = children(answer)
    assert formats
    for metadata_format in formats:
        assert tag(metadata_format) == "metadataFormat"
        names = [tag(c) for c in children(metadata_format)]
        assert names == ["metadataPrefix", "schema", "metadataNamespace"]


def _sets(answer, _schema) -> None:
    for element in children(answer):
        if tag(element) == "resumptionToken":
            continue
        names = [tag(c) for c in children(element)]
        assert tag(element) == "set"
        assert names[:2] == ["setSpec", "setName"] and all(n == "setDescription" for n in names[2:])
        assert re.fullmatch(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*", element[0].text)


def check_header(header: etree._Element) -> None:
    assert header.tag == f"{OAI}header"
    assert header.get("status") in (None, "deleted")
    names = [tag(c) for c in children(header)]
    assert names[:2] == ["identifier", "datestamp"]
    assert all(name == "setSpec" for name in names[2:])
    assert OAI_IDENTIFIER.fullmatch(header[0].text), header[0].text
    assert UTC_SECONDS.fullmatch(header[1].text)


def check_record(record: etree._Element, huiku_schema: etree.XMLSchema | None) -> None:
    parts = children(record)
    check_header(parts[0])
    deleted = parts[0].get("status") == "deleted"
    assert [tag(p) for p in parts[1:]] == ([] if deleted else ["metadata"])
    if deleted:
        return
    (metadata,) = children(parts[1])
    if metadata.tag == f"{OAI_DC}dc":
        check_oai_dc(metadata)
    else:
        assert metadata.tag.startswith(HUIKU)
        if huiku_schema is not None:
            huiku_schema.assertValid(etree.fromstring(etree.tostring(metadata)))


def check_oai_dc(dc: etree._Element) -> None:
    assert dc.tag == f"{OAI_DC}dc"
    assert dc.get(XSI_LOCATION, "").split() == [
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    ]
    for element in children(dc):
        assert element.tag.startswith(DC), element.tag
        assert tag(element) in DC_ELEMENTS
        assert not children(element) and element.text


def _list(answer, huiku_schema) -> None:
    parts = children(answer)
    token = parts[-1] if parts and tag(parts[-1]) == "resumptionToken" else None
    items = parts[:-1] if token is not None else parts
    for item in items:
        if tag(answer) == "ListIdentifiers":
            check_header(item)
        else:
            assert tag(item) == "record"
            check_record(item, huiku_schema)
    if token is not None:
        assert set(token.attrib) <= {"expirationDate", "completeListSize", "cursor"}
        assert int(token.get("completeListSize")) >= 0 and int(token.get("cursor")) >= 0
        if token.get("expirationDate"):
            assert UTC_SECONDS.fullmatch(token.get("expirationDate"))


def _get_record(answer, huiku_schema) -> None:
    (record,) = children(answer)
    assert tag(record) == "record"
    check_record(record, huiku_schema)


CHECKS = {
    "Identify": _identify,
    "ListMetadataFormats": _formats,
    "ListSets": _sets,
    "ListIdentifiers": _list,
    "ListRecords": _list,
    "GetRecord": _get_record,
}
