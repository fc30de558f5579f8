"""The metadata formats: ``oai_dc`` and ``huiku``, both read from the collection profiles.

``oai_dc`` is the profile's Dublin Core crosswalk (each field's ``dc`` element). ``huiku``
keeps every field of the profile, one element per field named by its key, in declaration
order; its XML Schema is generated from the same declarations and served at
``/oai/schemas/huiku.xsd``, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from lxml import etree
from lxml.builder import ElementMaker

from interop.web import absolute_url, url_template
from repository.models import Record
from repository.profiles import Field, Kind, Profile, profiles

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XS_NS = "http://www.w3.org/2001/XMLSchema"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
#: The namespace of the ``huiku`` format. A URN, not a URL: it names the format, whatever
#: address a Huiku installation is served at.
HUIKU_NS = "urn:x-huiku:record:1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

OAI_DC = ElementMaker(namespace=OAI_DC_NS, nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
HUIKU = ElementMaker(namespace=HUIKU_NS, nsmap={"huiku": HUIKU_NS, "xsi": XSI_NS})
XS = ElementMaker(namespace=XS_NS)


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    namespace: str
    schema: Callable[[], str]
    render: Callable[[Record, list[str]], etree._Element]


def oai_dc(record: Record, libraries: list[str]) -> etree._Element:
    """Dublin Core by the profile's crosswalk, then the record page as an identifier."""
    profile = record.collection.profile
    root = OAI_DC.dc()
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    for element, values in profile.dublin_core(record.metadata_).items():
        for value in values:
            etree.SubElement(root, f"{{{DC_NS}}}{element}").text = value
    identifier = etree.SubElement(root, f"{{{DC_NS}}}identifier")
    identifier.text = record_url(record.public_id)
    return root


def huiku(record: Record, libraries: list[str]) -> etree._Element:
    """Every field of the profile, one element per value, and the codes of the libraries
    credited (the owner first)."""
    profile = record.collection.profile
    root = HUIKU(profile.name)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{HUIKU_NS} {huiku_schema_url()}")
    root.set("id", record.public_id)
    root.set("collection", record.collection.slug)
    root.set("url", record_url(record.public_id))
    for field in profile.metadata_fields:
        raw = record.metadata_.get(field.key)
        if raw is None or raw == "" or raw == []:
            continue
        for value in raw if isinstance(raw, list) else [raw]:
            element = etree.SubElement(root, f"{{{HUIKU_NS}}}{field.key}")
            element.text = str(value)
            term = field.term(str(value)) if field.vocabulary else None
            if term is not None:
                element.set("label-en", term.label_en)
    for code in libraries:
        etree.SubElement(root, f"{{{HUIKU_NS}}}library", code=code)
    return root


def record_url(public_id: str) -> str:
    """The record page's URL, routed once per request: a list page names a hundred records."""
    return per_request("record_url", lambda: url_template("public.record", "public_id")).format(
        public_id
    )


def per_request(name: str, make: Callable[[], str]) -> str:
    """``make()``, computed once per request (kept in the WSGI environ, which no other request
    shares; ``flask.g`` may outlive a request when an app context was pushed beforehand)."""
    cache = request.environ.setdefault("huiku.oai", {})
    if name not in cache:
        cache[name] = make()
    return cache[name]


def huiku_schema_url() -> str:
    return per_request("huiku_schema_url", lambda: absolute_url("oai.huiku_schema_file"))


FORMATS = {
    "oai_dc": MetadataFormat("oai_dc", OAI_DC_NS, lambda: OAI_DC_SCHEMA, oai_dc),
    "huiku": MetadataFormat("huiku", HUIKU_NS, huiku_schema_url, huiku),
}


def huiku_schema() -> etree._Element:
    """The XML Schema of the ``huiku`` format: one root element per profile."""
    schema = etree.Element(f"{{{XS_NS}}}schema", nsmap={"xs": XS_NS, "huiku": HUIKU_NS})
    schema.append(
        XS.annotation(
            XS.documentation(
                "Huiku records: one root element per collection profile, one child element per "
                "profile field in declaration order, then the libraries credited. Generated "
                "from the profile declarations."
            )
        )
    )
    schema.set("targetNamespace", HUIKU_NS)
    schema.set("elementFormDefault", "qualified")
    schema.set("attributeFormDefault", "unqualified")
    vocabularies = []
    for profile in profiles():
        schema.append(_profile_element(profile))
        vocabularies += [
            _vocabulary_type(profile, f) for f in profile.metadata_fields if f.vocabulary
        ]
    schema.extend(vocabularies)
    schema.append(
        XS.complexType(
            XS.attribute(name="code", type="xs:string", use="required"), name="libraryType"
        )
    )
    return schema


def _profile_element(profile: Profile) -> etree._Element:
    sequence = XS.sequence(*(_field_element(profile, f) for f in profile.metadata_fields))
    sequence.append(XS.element(name="library", type="huiku:libraryType", maxOccurs="unbounded"))
    attributes = (
        XS.attribute(name=name, type="xs:string", use="required")
        for name in ("id", "collection", "url")
    )
    return XS.element(
        XS.annotation(XS.documentation(f"{profile.label_zh} / {profile.label_en}")),
        XS.complexType(sequence, *attributes),
        name=profile.name,
    )


def _field_element(profile: Profile, field: Field) -> etree._Element:
    element = XS.element(
        XS.annotation(XS.documentation(f"{field.label_zh} / {field.label_en}")),
        name=field.key,
        minOccurs="1" if field.required else "0",
        maxOccurs="unbounded" if field.repeatable else "1",
    )
    if field.vocabulary:
        # The stored term, with its English label as an attribute.
        element.append(
            XS.complexType(
                XS.simpleContent(
                    XS.extension(
                        XS.attribute(name="label-en", type="xs:string"),
                        base=f"huiku:{_vocabulary_name(profile, field)}",
                    )
                )
            )
        )
    else:
        element.append(_simple_type(field))
    return element


def _vocabulary_name(profile: Profile, field: Field) -> str:
    return f"{profile.name}.{field.key}"


def _vocabulary_type(profile: Profile, field: Field) -> etree._Element:
    return XS.simpleType(
        XS.restriction(
            *(XS.enumeration(value=term.value) for term in field.vocabulary), base="xs:string"
        ),
        name=_vocabulary_name(profile, field),
    )


def _simple_type(field: Field) -> etree._Element:
    if field.kind is Kind.YEAR:
        return XS.simpleType(XS.restriction(base="xs:integer"))
    if field.kind in (Kind.LATITUDE, Kind.LONGITUDE):
        bound = "90" if field.kind is Kind.LATITUDE else "180"
        return XS.simpleType(
            XS.restriction(
                XS.minInclusive(value=f"-{bound}"), XS.maxInclusive(value=bound), base="xs:decimal"
            )
        )
    return XS.simpleType(XS.restriction(XS.minLength(value="1"), base="xs:string"))
