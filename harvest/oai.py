"""OAI-PMH sources, through oaipmh-scythe on the guarded client.

Scythe sends the requests (its ``harvest``) and reads headers and records; the listing is
driven here one page at a time, so each page is stored before the next is asked for and the
run can go on from its resumption token after a crash. What scythe would silently repair, this
module refuses with a message naming the address: an answer that is not well-formed XML, an
HTML page where OAI-PMH was expected, a resumption token or page met twice (a list that would
never end).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.exceptions import BadResumptionToken, NoRecordsMatch, OAIPMHException
from oaipmh_scythe.models import Record as OAIRecord

from harvest.addresses import (
    NO_ANSWER,
    AddressRefused,
    ResponseTooLarge,
    guarded_client,
    not_reached,
    snippet,
)
from harvest.mapping import map_dublin_core
from harvest.runs import HarvestFailed, add_error, clip, message_of
from harvest.store import Item, Page
from repository.messages import Message
from repository.models.harvest import HarvestRun, HarvestSource

OAI = "{http://www.openarchives.org/OAI/2.0/}"
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@contextmanager
def scythe_for(source: HarvestSource) -> Iterator[Scythe]:
    """A scythe whose requests go through the guarded client (addresses, redirects, limits)."""
    scythe = Scythe(source.base_url)
    scythe._client = guarded_client(source.base_url, accept="text/xml, application/xml")
    try:
        yield scythe
    finally:
        scythe.close()


def request(scythe: Scythe, query: dict[str, str]) -> etree._Element:
    """One OAI-PMH request: its root element, or ``HarvestFailed`` saying what came back.

    OAI-PMH errors (``badResumptionToken``, ``noRecordsMatch``, …) are raised as scythe's
    exceptions for the caller to handle.
    """
    url = f"{scythe.endpoint}?{urlencode(query)}"
    try:
        response = scythe.harvest(query)
    except (AddressRefused, ResponseTooLarge) as error:
        raise HarvestFailed(message_of(error)) from error
    except httpx2.TimeoutException as error:
        raise HarvestFailed(NO_ANSWER.format(url=url, error=type(error).__name__)) from error
    except httpx2.HTTPStatusError as error:
        content = error.response.content
        raise HarvestFailed(
            _HTTP_STATUS.format(url=url, status=error.response.status_code, answer=snippet(content))
        ) from error
    except httpx2.HTTPError as error:
        raise HarvestFailed(not_reached(url, error)) from error
    content = response.http_response.content
    if _looks_like_html(content, response.http_response.headers.get("content-type", "")):
        raise HarvestFailed(_HTML.format(url=url, answer=snippet(content)))
    try:
        root = etree.fromstring(content, parser=_STRICT)
    except etree.XMLSyntaxError as error:
        raise HarvestFailed(
            _NOT_XML.format(url=url, error=clip(error), answer=snippet(content))
        ) from error
    if root.tag != f"{OAI}OAI-PMH":
        raise HarvestFailed(_NOT_OAI.format(url=url, root=clip(root.tag)))
    return root


def _looks_like_html(content: bytes, content_type: str) -> bool:
    start = content[:500].lstrip().lower()
    return "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html"))


def granularity(scythe: Scythe) -> str:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``, as the endpoint's Identify declares."""
    try:
        root = request(scythe, {"verb": "Identify"})
        _raise_oai_error(root)
    except OAIPMHException as error:
        raise HarvestFailed(
            _IDENTIFY_FAILED.format(url=scythe.endpoint, error=_oai_error(error))
        ) from error
    found = root.findtext(f"{OAI}Identify/{OAI}granularity") or "YYYY-MM-DD"
    if root.find(f"{OAI}Identify") is None:
        raise HarvestFailed(_NO_IDENTIFY.format(url=scythe.endpoint))
    return found.strip()


def from_argument(cursor: str, granularity_: str) -> str:
    """The cursor written in the endpoint's granularity (a day-granularity endpoint refuses
    seconds, a seconds one may refuse a bare day)."""
    if not cursor:
        return ""
    if granularity_ == "YYYY-MM-DD":
        return cursor[:10]
    if len(cursor) == 10:
        return cursor + "T00:00:00Z"
    return cursor


def oai_pages(source: HarvestSource, run: HarvestRun) -> Iterator[Page]:
    """The source's records page by page, from ``run.resume_from`` when it is set."""
    with scythe_for(source) as scythe:
        first: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
        if source.set_spec:
            first["set"] = source.set_spec
        if run.from_cursor:
            first["from"] = from_argument(run.from_cursor, granularity(scythe))
        query = {"verb": "ListRecords", "resumptionToken": run.resume_from}
        if not run.resume_from:
            query = first
        seen_tokens = {run.resume_from} if run.resume_from else set()
        seen_pages: set[str] = set()
        restarted = False
        while True:
            url = f"{scythe.endpoint}?{urlencode(query)}"
            try:
                root = request(scythe, query)
                _raise_oai_error(root)
            except BadResumptionToken as error:
                if restarted or "resumptionToken" not in query:
                    raise HarvestFailed(
                        _TOKEN_REFUSED.format(url=url, error=clip(error))
                    ) from error
                restarted = True
                again = (
                    _STARTED_AGAIN.format(error=clip(error), cursor=run.from_cursor)
                    if run.from_cursor
                    else _STARTED_OVER.format(error=clip(error))
                )
                add_error(run, url, again)
                query, seen_tokens, seen_pages = first, set(), set()
                continue
            except NoRecordsMatch:
                return
            except OAIPMHException as error:
                raise HarvestFailed(_OAI_ERROR.format(url=url, error=_oai_error(error))) from error
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise HarvestFailed(_NO_LIST.format(url=url))
            token = (listing.findtext(f"{OAI}resumptionToken") or "").strip()
            page = _page(listing, url, token)
            digest = _digest(listing)
            if (token and token in seen_tokens) or (digest in seen_pages and page.items):
                raise HarvestFailed(
                    _SAME_TOKEN.format(url=url, token=clip(token))
                    if token
                    else _SAME_PAGE.format(url=url)
                )
            seen_tokens.add(token)
            seen_pages.add(digest)
            yield page
            if not token:
                return
            query = {"verb": "ListRecords", "resumptionToken": token}


def _raise_oai_error(root: etree._Element) -> None:
    error = root.find(f"{OAI}error")
    if error is None:
        return
    from oaipmh_scythe import exceptions

    code = error.get("code", "")
    name = code[:1].upper() + code[1:]
    raise getattr(exceptions, name, exceptions.GeneralOAIPMHError)(error.text or code)


def _page(listing: etree._Element, url: str, token: str) -> Page:
    items: list[Item] = []
    highest = ""
    notes: list[Message] = []
    for element in listing.findall(f"{OAI}record"):
        try:
            record = OAIRecord(element)
        except ValueError as error:
            notes.append(_NO_HEADER.format(error=clip(error)))
            continue
        identifier = (record.header.identifier or "").strip()
        datestamp = (record.header.datestamp or "").strip()
        highest = max(highest, datestamp)
        if record.deleted:
            items.append(Item(identifier, datestamp, deleted=True))
        else:
            items.append(Item(identifier, datestamp, mapped=_mapper(identifier, record.metadata)))
    return Page(items=items, resume_after=token, highest=highest, where=url, notes=notes)


def _mapper(identifier: str, metadata: dict[str, Any]):
    return lambda: map_dublin_core(identifier, metadata)


def _digest(listing: etree._Element) -> str:
    """The page's records, for telling a page met again (its token aside)."""
    records = [etree.tostring(r) for r in listing.findall(f"{OAI}record")]
    return hashlib.sha256(b"".join(records)).hexdigest()


def _oai_error(error: Exception) -> str:
    return clip(f"{type(error).__name__} {error}")


def check_oai(source: HarvestSource) -> Message:
    """Identify, then the first page of the listing: what an administrator needs to know."""
    with scythe_for(source) as scythe:
        try:
            root = request(scythe, {"verb": "Identify"})
            _raise_oai_error(root)
        except OAIPMHException as error:
            raise HarvestFailed(
                _IDENTIFY_FAILED.format(url=scythe.endpoint, error=_oai_error(error))
            ) from error
        name = root.findtext(f"{OAI}Identify/{OAI}repositoryName") or "?"
        grain = root.findtext(f"{OAI}Identify/{OAI}granularity") or "YYYY-MM-DD"
        query = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
        if source.set_spec:
            query["set"] = source.set_spec
        try:
            first = request(scythe, query)
            _raise_oai_error(first)
        except NoRecordsMatch:
            return _OK_EMPTY.format(name=clip(name), granularity=clip(grain))
        except OAIPMHException as error:
            raise HarvestFailed(
                _LIST_FAILED.format(url=scythe.endpoint, error=_oai_error(error))
            ) from error
        count = len(first.findall(f"{OAI}ListRecords/{OAI}record"))
        return _OK_RECORDS.format(name=clip(name), granularity=clip(grain), count=count)


_HTTP_STATUS = Message("{url}: HTTP {status} instead of OAI-PMH ({answer})")
_HTML = Message("{url}: an HTML page came back instead of OAI-PMH XML ({answer})")
_NOT_XML = Message("{url}: the answer is not well-formed XML ({error}); it began: {answer}")
_NOT_OAI = Message("{url}: the answer is XML but not OAI-PMH (root {root})")
_IDENTIFY_FAILED = Message("{url}: Identify failed: {error}")
_NO_IDENTIFY = Message("{url}: the answer to Identify has no Identify element")
_TOKEN_REFUSED = Message("{url}: the resumption token was refused ({error})")
_STARTED_AGAIN = Message(
    "The resumption token was refused as expired or bad ({error}); the listing started again "
    "from {cursor}. Records stored before are kept and not counted twice."
)
_STARTED_OVER = Message(
    "The resumption token was refused as expired or bad ({error}); the listing started again "
    "from the beginning. Records stored before are kept and not counted twice."
)
_OAI_ERROR = Message("{url}: the endpoint answered with an OAI-PMH error: {error}")
_NO_LIST = Message("{url}: the answer has no ListRecords element")
_SAME_TOKEN = Message(
    "{url}: the endpoint gave the same resumption token again ({token}); stopped so the harvest "
    "does not go round forever. Records stored before are kept."
)
_SAME_PAGE = Message(
    "{url}: the endpoint gave the same page again; stopped so the harvest does not go round "
    "forever. Records stored before are kept."
)
_NO_HEADER = Message("a record without a header was skipped ({error})")
_LIST_FAILED = Message("{url}: ListRecords failed: {error}")
_OK_EMPTY = Message(
    "OK: {name} (granularity {granularity}); no records yet in this set and format."
)
_OK_RECORDS = Message("OK: {name} (granularity {granularity}); the first page has {count} records.")
