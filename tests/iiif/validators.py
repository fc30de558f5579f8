"""Validators Huiku did not write, for every IIIF Presentation 3.0 document the tests fetch.

* iiif-prezi3's pydantic models (a dependency of Huiku, so always there): the document loads into
  the model of its type and gives back the same JSON, so the model neither rejected nor dropped
  anything.
* @iiif/parser's strict upgrader (npm), which repairs what viewers meet in the wild and warns about
  each repair: it must find nothing to repair. ``scripts/test`` installs the version pinned in
  ``node/package-lock.json`` with ``scripts/services/node-tools.sh ensure`` and sets
  ``HUIKU_NODE_TOOLS``; one node process (``node/check-presentation.cjs``) serves the whole session.
  Without node or the package the check is left out and a test says so by skipping; with
  ``HUIKU_REQUIRE_SERVICES=1`` (CI) every check fails instead.
* The Presentation 3.0 JSON schema, read from ``../shared/iiif/`` beside the checkout when that is
  there (CI has it). A clone with nothing beside it leaves this check out, and a test says so.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pydantic
import pytest
from iiif_prezi3 import Collection, Manifest

from tests.conftest import REQUIRE_SERVICES

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO.parent / "shared/iiif/presentation-3.0.schema.json"
NODE_FOLDER = Path(__file__).resolve().parent / "node"
DEFAULT_NODE_TOOLS = REPO / ".cache/node-tools"
PARSER = "@iiif/parser"

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
PRESENTATION_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
MODELS = {"Manifest": Manifest, "Collection": Collection}


def fetch_presentation(client, url: str) -> dict:
    """GET a Presentation document as a viewer does; check its headers and the document itself."""
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    headers = response.headers
    assert headers["Content-Type"] == PRESENTATION_TYPE, f"{url}: {headers['Content-Type']}"
    assert headers["Access-Control-Allow-Origin"] == "*", f"{url}: {headers}"
    document = response.get_json(force=True)
    assert document["@context"] == PRESENTATION_CONTEXT, f"{url}: {document['@context']}"
    problems = presentation_problems(document)
    assert not problems, "\n".join([f"{url} is not a valid Presentation document:", *problems])
    return document


def presentation_problems(document: dict) -> list[str]:
    """What every validator at hand finds wrong with the document (nothing when it is valid)."""
    problems = [f"iiif-prezi3: {error}" for error in prezi3_errors(document)]
    parser = iiif_parser()
    if isinstance(parser, Missing):
        if REQUIRE_SERVICES:
            pytest.fail(f"{parser.reason}; HUIKU_REQUIRE_SERVICES=1 requires it")
    else:
        problems += [f"{PARSER}: {warning}" for warning in parser.warnings(document)]
    if SCHEMA is not None:
        problems += [f"schema: {error}" for error in schema_errors(document)]
    return problems


def prezi3_errors(document: dict) -> list[str]:
    """Why iiif-prezi3's model of the document's type rejects it, or what the model changed."""
    model = MODELS.get(document.get("type"))
    if model is None:
        return [f"type {document.get('type')!r} is none of {sorted(MODELS)}"]
    try:
        loaded = model.model_validate_json(json.dumps(document))
    except pydantic.ValidationError as error:
        return [
            f"/{'/'.join(map(str, detail['loc']))}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        ]
    return [
        f"{path}: the {model.__name__} model gives back {after!r} for {before!r}"
        for path, before, after in _differences(document, json.loads(loaded.json()))
    ]


def _differences(before: object, after: object, path: str = "") -> list[tuple[str, object, object]]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            difference
            for key in sorted(before.keys() | after.keys())
            for difference in _differences(before.get(key), after.get(key), f"{path}/{key}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            difference
            for index, pair in enumerate(zip(before, after, strict=True))
            for difference in _differences(*pair, f"{path}/{index}")
        ]
    return [] if before == after else [(path or "/", before, after)]


def _load_schema() -> jsonschema.Draft7Validator | None:
    if not SCHEMA_PATH.is_file():
        return None
    return jsonschema.Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


SCHEMA = _load_schema()


def schema_errors(document: dict) -> list[str]:
    """Every way the document breaks the Presentation 3.0 schema (none when it is valid)."""
    if SCHEMA is None:
        raise RuntimeError(f"{SCHEMA_PATH} is missing: nothing to check the document against")
    errors = (
        f"/{'/'.join(map(str, reason.absolute_path))}: {reason.message[:300]}"
        for error in SCHEMA.iter_errors(document)
        for reason in _reasons(error)
    )
    return list(dict.fromkeys(errors))  # branches of an allOf may say the same thing twice


def _reasons(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Why a ``oneOf`` of resource types failed: the errors of the branch for the document's type.

    The schema offers one branch per type; all of them fail, and only the one whose ``type``
    matches (the one branch without an error about ``type``) says something useful.
    """
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for reason in error.context or ():
        branches.setdefault(reason.relative_schema_path[0], []).append(reason)
    own_type = [
        reasons
        for reasons in branches.values()
        if not any(list(reason.relative_path) == ["type"] for reason in reasons)
    ]
    return own_type[0] if len(own_type) == 1 else [error]


@dataclass(frozen=True)
class Missing:
    """Why the parser cannot run here."""

    reason: str


class ParserProcess:
    """node running ``node/check-presentation.cjs``: a JSON document per line in, an answer out."""

    def __init__(self, node: str, tools: Path) -> None:
        self._process = subprocess.Popen(
            [node, str(NODE_FOLDER / "check-presentation.cjs"), str(tools)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # read once the process has stopped: it writes there only then
            text=True,
            encoding="utf-8",
        )
        self.version = self._answer()["parser"]

    def warnings(self, document: dict) -> list[str]:
        """The strict upgrader's warnings about the document (none when it needs no repair)."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(document) + "\n")
        self._process.stdin.flush()
        answer = self._answer()
        if "error" in answer:
            return [answer["error"]]
        return answer["warnings"]

    def _answer(self) -> dict:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            assert self._process.stderr is not None
            said = self._process.stderr.read()[-2000:]
            raise RuntimeError(f"the {PARSER} checker stopped; node said: {said}")
        return json.loads(line)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()


def pinned_parser_version() -> str:
    package = json.loads((NODE_FOLDER / "package.json").read_text(encoding="utf-8"))
    return package["dependencies"][PARSER]


@functools.cache
def iiif_parser() -> ParserProcess | Missing:
    """The session's parser process, started on first use; or why there is none."""
    install = "scripts/services/node-tools.sh ensure"
    node = shutil.which("node")
    if node is None:
        return Missing(f"node is not installed, so {PARSER} cannot check documents")
    tools = Path(os.environ.get("HUIKU_NODE_TOOLS") or DEFAULT_NODE_TOOLS)
    installed = tools / "node_modules" / PARSER / "package.json"
    if not installed.is_file():
        return Missing(f"{PARSER} is not installed in {tools} (run {install})")
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != pinned_parser_version():
        return Missing(
            f"{tools} has {PARSER} {version}, not the pinned {pinned_parser_version()} "
            f"(run {install})"
        )
    process = ParserProcess(node, tools)
    atexit.register(process.close)
    return process
