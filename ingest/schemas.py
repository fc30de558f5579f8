"""The ingest API's marshmallow schemas: the request bodies it parses, the answers it sends.

The OpenAPI document is generated from these (``repository.openapi``), and the bodies are
loaded through them, so what is described is what is checked. The metadata of a record differs
by collection profile: its schemas are made by walking the profile's field declarations, one
schema per profile and direction (``MetadataInput_<profile>`` what a client may send,
``Metadata_<profile>`` what Huiku stores and answers), so a new field or vocabulary term appears
here without anyone writing it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Regexp

from repository.messages import Message
from repository.models import RecordStatus
from repository.openapi import AnswerSchema, schema_ref
from repository.profiles import Field, Kind, Profile, profiles
from repository.profiles.validation import labelled

Errors = dict[str, list[Message]]
#: fields whose value may also be sent as a JSON number
NUMERIC_KINDS = frozenset({Kind.YEAR, Kind.LATITUDE, Kind.LONGITUDE})

#: marshmallow's message for a key a closed body does not declare; ``error_paths`` writes it out
#: with the key and the keys the body takes
UNKNOWN_KEY = Message("{key!r} is not understood here; send only {allowed}")


def _required(key: str) -> dict[str, Message]:
    return {"required": Message("{key} is required").format(key=key)}


class BodySchema(Schema):
    """A closed object (``additionalProperties: false``): a request body, whose unknown keys are
    each named in the 422, or the stored metadata of a profile."""

    error_messages = {"unknown": UNKNOWN_KEY}

    class Meta:
        unknown = RAISE


def error_paths(error: ValidationError, schema: Schema, prefix: str = "") -> Errors:
    """marshmallow's nested errors under the dotted path of each bad value (``metadata.kingdom``);
    the items of a list count for the list."""
    allowed = ", ".join(sorted(field.data_key or name for name, field in schema.fields.items()))
    paths: Errors = {}

    def walk(messages: Any, path: str) -> None:
        if isinstance(messages, Mapping):
            for key, inner in messages.items():
                inner_path = path if isinstance(key, int) or key == "_schema" else f"{path}.{key}"
                walk(inner, inner_path)
            return
        leaf = path.lstrip(".") or "body"
        for message in messages if isinstance(messages, list) else [messages]:
            if message is UNKNOWN_KEY:
                message = UNKNOWN_KEY.format(key=leaf.rpartition(".")[2], allowed=allowed)
            elif not isinstance(message, Message):
                message = Message.verbatim(str(message))
            paths.setdefault(leaf, []).append(message)

    walk(error.messages, prefix)
    return paths


# --- metadata, per profile --------------------------------------------------------------------


def vocabulary_inputs(field: Field) -> list[str]:
    """A vocabulary field takes a term's value or its English label, exactly."""
    return list(dict.fromkeys(t for term in field.vocabulary for t in (term.value, term.label_en)))


def _input_description(field: Field) -> str:
    description = f"{field.label_en} / {field.label_zh}"
    if field.hint_en:
        description += f". {field.hint_en}"
    if field.vocabulary:
        terms = ", ".join(f"{term.value} ({term.label_en})" for term in field.vocabulary)
        description += f". One of: {terms}"
    if field.example:
        description += f". Example: {field.example}"
    if field.repeatable:
        description += ". Several values: a list, or text separated by ;"
    return description


def _input_json_schema(field: Field) -> dict[str, Any]:
    """The JSON types a client may send for a field (``null`` is added for every field)."""
    if field.repeatable:
        return {
            "anyOf": [{"type": ["string", "null"]}, {"type": "array", "items": {"type": "string"}}]
        }
    if field.vocabulary:
        return {"enum": [*vocabulary_inputs(field), None]}
    if field.kind in NUMERIC_KINDS:
        return {"type": ["string", "number"]}
    return {"type": "string"}


class MetadataValue(fields.Field):
    """A value sent for a profile field, checked for its JSON type here: text as a cataloguer
    writes it, a list for a repeatable field, a number for years and coordinates, a vocabulary
    term or its English label; ``null`` or empty text leave the field empty. The profile's own
    rules clean it afterwards (dates, ranges, coordinates, required fields)."""

    def __init__(self, declaration: Field) -> None:
        self.declaration = declaration
        super().__init__(
            required=declaration.required,
            allow_none=True,
            metadata={"description": _input_description(declaration)}
            | _input_json_schema(declaration),
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        problem = self._type_problem(value)
        if problem is not None:
            raise ValidationError(labelled(self.declaration, problem))
        return value

    def _type_problem(self, value: Any) -> Message | None:
        field = self.declaration
        if field.repeatable:
            if isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(item, str) for item in value)
            ):
                return None
            return Message("must be text or a list of texts")
        if field.kind in NUMERIC_KINDS and type(value) in (int, float):
            return None
        if isinstance(value, list):
            return Message("takes one value, not a list")
        if not isinstance(value, str):
            return Message("must be text")
        if field.vocabulary and value not in vocabulary_inputs(field):
            return Message("{value!r} is not one of the allowed values: {allowed}").format(
                value=value, allowed="、".join(term.value for term in field.vocabulary)
            )
        return None


def _stored_field(field: Field) -> fields.Field:
    """A field's value as Huiku stores and answers it (cleaned by the profile)."""
    kind: type[fields.Field] = fields.String
    options: dict[str, Any] = {}
    if field.kind is Kind.YEAR:
        kind = fields.Integer
    elif field.kind in (Kind.LATITUDE, Kind.LONGITUDE):
        kind = fields.Float
    elif field.kind is Kind.VOCABULARY:
        options["validate"] = OneOf([term.value for term in field.vocabulary])
    declared = {"required": field.required, "metadata": {"description": field.label_en}}
    if field.repeatable:
        return fields.List(kind(**options), **declared)
    return kind(**options, **declared)


class MetadataInputBase(BodySchema):
    """Closed, like every body; its load lets unknown keys through to the profile, whose rules
    name them together with the profile's fields."""


def _profile_schema(name: str, base: type[Schema], declared: dict, title: str) -> type[Schema]:
    meta = type("Meta", (base.Meta,), {"register": False, "title": title})
    return type(name, (base,), {**declared, "Meta": meta})


@cache
def metadata_input_schema(profile: Profile) -> type[Schema]:
    return _profile_schema(
        f"MetadataInput_{profile.name}",
        MetadataInputBase,
        {field.key: MetadataValue(field) for field in profile.metadata_fields},
        f"Metadata sent for a {profile.label_en} ({profile.name}) collection",
    )


@cache
def stored_metadata_schema(profile: Profile) -> type[Schema]:
    return _profile_schema(
        f"Metadata_{profile.name}",
        BodySchema,
        {field.key: _stored_field(field) for field in profile.metadata_fields},
        f"Metadata of a record in a {profile.label_en} ({profile.name}) collection",
    )


def check_metadata_types(profile: Profile, metadata: Mapping[str, Any]) -> Errors:
    """The JSON-type problems of sent metadata, by field key (unknown keys and required fields
    are left to the profile's rules)."""
    try:
        metadata_input_schema(profile)().load(metadata, partial=True, unknown=INCLUDE)
    except ValidationError as error:
        return {key: list(messages) for key, messages in error.messages.items()}
    return {}


# --- request bodies ---------------------------------------------------------------------------


class MetadataObject(fields.Field):
    """The ``metadata`` of a body: an object of field values (checked against the collection's
    profile once the collection is known); images are files, never metadata."""

    default_error_messages = {
        "invalid": Message("metadata must be an object"),
        "null": Message("metadata must be an object"),
        **_required("metadata"),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        if "images" in value:
            raise ValidationError(
                {"images": [Message("images are uploaded as files: POST /api/records/<id>/images")]}
            )
        return value


def _metadata_choices(schema_name: str) -> list[dict[str, str]]:
    return [schema_ref(f"{schema_name}_{profile.name}") for profile in profiles()]


class RecordWriteSchema(BodySchema):
    metadata = MetadataObject(
        required=True,
        metadata={
            "description": "Every field, as the collection's profile declares it.",
            "anyOf": _metadata_choices("MetadataInput"),
        },
    )


_LIBRARY = Message("library must be the code of a member library, at most 50 characters")


class RecordCreateSchema(RecordWriteSchema):
    """A new record's body: its metadata, and the owning library when not the token's own."""

    library = fields.String(
        load_default=None,
        validate=Length(min=1, max=50, error=_LIBRARY),
        error_messages={"invalid": _LIBRARY},
        metadata={
            "description": "Code of the library that owns the record: the token's own (the "
            "default), or a partner its library supports in this collection (paired support, "
            "结对扶持); that library owns it and the token's library is credited."
        },
    )


class RecordPatchSchema(BodySchema):
    metadata = MetadataObject(
        required=True,
        metadata={
            "description": "Only the fields to change; null clears a field.",
            "anyOf": _metadata_choices("MetadataPatch"),
        },
    )


_COMMENT = Message("comment must be text of at most 5000 characters")


class SubmitSchema(BodySchema):
    comment = fields.String(
        load_default="",
        validate=Length(max=5000, error=_COMMENT),
        error_messages={"invalid": _COMMENT, "null": _COMMENT},
        metadata={"description": "a note for the reviewers"},
    )


_NO_IMAGES = Message("send one or more files as multipart/form-data fields named images")


def file_field(description: str, **kwargs: Any) -> fields.Raw:
    return fields.Raw(
        metadata={"type": "string", "format": "binary", "description": description}, **kwargs
    )


class ImageUploadSchema(Schema):
    """multipart/form-data: ``images`` repeated, ``labels`` repeated in the same order."""

    images = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        validate=Length(min=1, error=_NO_IMAGES),
        error_messages={"required": _NO_IMAGES},
        metadata={
            "description": "JPEG, PNG, TIFF or WebP images; "
            "MP3, M4A, WAV, FLAC, MP4, WebM or MOV recordings"
        },
    )
    labels = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "a label per image, in the same order"},
    )

    class Meta:
        unknown = EXCLUDE


# --- answers ----------------------------------------------------------------------------------


def uri_field(**kwargs: Any) -> fields.String:
    description = kwargs.pop("description", None)
    metadata = {"format": "uri"} | ({"description": description} if description else {})
    return fields.String(metadata=metadata, **kwargs)


class BilingualTextSchema(AnswerSchema):
    en = fields.String(required=True)
    zh = fields.String(required=True)


class IngestErrorSchema(AnswerSchema):
    error = fields.String(required=True)
    message = fields.String(required=True)


def _field_errors() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(BilingualTextSchema)),
        required=True,
        metadata={
            "description": "path of the bad value (metadata.kingdom, table, …) → what is wrong"
        },
    )


class IngestInvalidSchema(IngestErrorSchema):
    errors = _field_errors()


class IngestConflictSchema(IngestInvalidSchema):
    existing_record = fields.String(
        required=True, metadata={"description": "the record that has it"}
    )
    existing_record_url = uri_field(required=True)


class ImageSchema(AnswerSchema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    mime_type = fields.String(required=True)
    sha256 = fields.String(required=True, validate=Regexp("^[0-9a-f]{64}$"))


class RecordingSchema(AnswerSchema):
    """An audio or video recording of the record (repository.media), in the record's order."""

    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, validate=OneOf(["audio", "video"]))
    mime_type = fields.String(required=True, metadata={"description": "the original's type"})
    duration = fields.Float(required=True, metadata={"description": "seconds"})
    width = fields.Integer(required=True, allow_none=True, metadata={"description": "video only"})
    height = fields.Integer(required=True, allow_none=True)
    sha256 = fields.String(required=True, validate=Regexp("^[0-9a-f]{64}$"))
    state = fields.String(
        required=True,
        validate=OneOf(["pending", "ready", "failed"]),
        metadata={"description": "whether the playable copy, poster or waveform are built"},
    )
    play = uri_field(required=True, description="the file browsers play (ranges supported)")


class IngestRecordBase(AnswerSchema):
    """A record as the API answers it; ``profile`` tells which metadata schema applies."""

    id = fields.String(required=True, metadata={"description": "the record's public id"})
    url = uri_field(required=True, description="its web page")
    collection = fields.String(required=True, metadata={"description": "collection slug"})
    library = fields.String(required=True, metadata={"description": "code of the owning library"})
    contributors = fields.List(fields.String(), required=True)
    local_id = fields.String(required=True)
    status = fields.String(required=True, validate=OneOf([status.value for status in RecordStatus]))
    years = fields.List(fields.Integer(), required=True, allow_none=True, validate=Length(2, 2))
    images = fields.List(fields.Nested(ImageSchema), required=True)
    recordings = fields.List(
        fields.Nested(RecordingSchema), metadata={"description": "audio and video, in order"}
    )
    dublin_core = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "the record in Dublin Core (element → values), by its profile"},
    )
    created = fields.DateTime(required=True)
    modified = fields.DateTime(required=True)
    iiif_manifest = uri_field()


@cache
def record_schema(profile: Profile) -> type[Schema]:
    return _profile_schema(
        f"IngestRecord_{profile.name}",
        IngestRecordBase,
        {
            "profile": fields.String(required=True, validate=OneOf([profile.name])),
            "metadata": fields.Nested(stored_metadata_schema(profile), required=True),
        },
        f"A record of the {profile.name} profile ({profile.label_en})",
    )


def record_answer() -> dict[str, Any]:
    """One schema per profile, told apart by the record's ``profile``."""
    return {
        "oneOf": [schema_ref(f"IngestRecord_{profile.name}") for profile in profiles()],
        "discriminator": {
            "propertyName": "profile",
            "mapping": {
                profile.name: f"#/components/schemas/IngestRecord_{profile.name}"
                for profile in profiles()
            },
        },
    }
