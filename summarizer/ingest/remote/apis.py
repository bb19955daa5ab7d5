"""The three sources, each as a request per page and a check of what came back.

Field names and paging follow each source's documentation and public clients:

- **Hugging Face daily papers**: ``GET {HF_ENDPOINT}/api/daily_papers?date=YYYY-MM-DD``
  with ``limit`` (at most 100) and ``p`` (the page, from 0), as ``huggingface_hub``'s
  ``HfApi.list_daily_papers`` sends them; the answer is a JSON list of items, each holding the
  ``paper`` (``id`` = arXiv id, ``title``, ``summary``, ``authors`` [{``name``}],
  ``publishedAt``, ``upvotes``, ``githubRepo`` when the paper has one). No total is given: a
  page shorter than ``limit`` is the last. Read by the ``json`` input format.
- **The arXiv API**: ``GET {api}?search_query=cat:X AND submittedDate:[D0000 TO D2359]``
  with ``start`` (from 0), ``max_results``, ``sortBy=submittedDate``; an Atom feed whose
  ``opensearch:totalResults`` says how many there are. An error is a feed holding one entry
  whose id is under ``/api/errors``. A page that comes back empty before the total is
  reached happens now and then and is retried (as the ``arxiv`` client does). Read by the
  ``atom`` input format.
- **OAI-PMH**: ``GET {oai}?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=D&until=D``,
  then ``?verb=ListRecords&resumptionToken=T`` while the response ends with a non-empty
  ``resumptionToken``. ``<error code="noRecordsMatch">`` is an empty day; an expired
  ``badResumptionToken`` starts the window again. Read by the ``oai`` input format.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol
from urllib.parse import urlencode, urlsplit

from summarizer.core.errors import ConfigError
from summarizer.ingest.feeds import local_name
from summarizer.ingest.remote.http import Malformed, Refused
from summarizer.ingest.remote.spec import FeedSpec

HF_PAGE = 100
"""The largest ``limit`` the daily-papers API takes."""
ARXIV_PAGE = 500
"""Results per arXiv API page (the API serves slices of up to 2,000)."""


class Restart(Exception):
    """The window must start again from its first page (an expired resumption token)."""


@dataclass(frozen=True)
class Page:
    """What one fetched page holds."""

    papers: int
    next: str | None
    """The cursor of the next page (a page number, an offset, a resumption token); None:
    this was the last page of the window."""
    total: int | None = None
    """How many papers the whole window holds, when the source says."""


class Api(Protocol):
    kind: str
    endpoint: str
    suffix: str
    """The extension a kept page gets (before ``.gz``), which its input format is read by."""
    interval: float
    """Seconds between two requests that the source asks for."""
    label: str

    def first(self) -> str: ...

    def url(self, spec: FeedSpec, day: date, cursor: str) -> str: ...

    def check(self, body: bytes, cursor: str) -> Page: ...


def _xml(body: bytes, expected: str) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise Malformed(f"not well-formed XML: {exc}") from None
    if local_name(root.tag) != expected:
        raise Malformed(f"the root element is <{local_name(root.tag)}>, not <{expected}>")
    return root


def _children(parent: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in parent if local_name(child.tag) == name]


def _text(parent: ET.Element, name: str) -> str:
    found = _children(parent, name)
    return " ".join((found[0].text or "").split()) if found else ""


class HuggingFace:
    kind = "hf"
    suffix = ".json"
    interval = 1.0
    label = "Hugging Face daily papers"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.root = endpoint.rstrip("/")

    def first(self) -> str:
        return "0"

    def url(self, spec: FeedSpec, day: date, cursor: str) -> str:
        query = urlencode({"date": day.isoformat(), "limit": HF_PAGE, "p": cursor})
        return f"{self.root}/api/daily_papers?{query}"

    def check(self, body: bytes, cursor: str) -> Page:
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Malformed(f"not valid JSON: {exc}") from None
        if isinstance(value, dict) and "error" in value:
            raise Refused(f"Hugging Face says: {value['error']}")
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise Malformed("not a JSON list of daily-paper items")
        more = len(value) >= HF_PAGE
        return Page(len(value), str(int(cursor) + 1) if more else None)


class ArxivApi:
    kind = "arxiv"
    suffix = ".xml"
    interval = 3.0
    label = "the arXiv API"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def first(self) -> str:
        return "0"

    def url(self, spec: FeedSpec, day: date, cursor: str) -> str:
        categories = " OR ".join(f"cat:{c}" for c in spec.categories)
        if len(spec.categories) > 1:
            categories = f"({categories})"
        stamp = day.strftime("%Y%m%d")
        query = {
            "search_query": f"{categories} AND submittedDate:[{stamp}0000 TO {stamp}2359]",
            "start": cursor,
            "max_results": ARXIV_PAGE,
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
        }
        return f"{self.endpoint}?{urlencode(query)}"

    def check(self, body: bytes, cursor: str) -> Page:
        feed = _xml(body, "feed")
        entries = _children(feed, "entry")
        for entry in entries:
            if "/api/errors" in _text(entry, "id"):
                said = _text(entry, "summary") or _text(entry, "title") or "an error"
                raise Refused(f"the arXiv API says: {said}")
        total_text = _text(feed, "totalResults")
        if not total_text.isdigit():
            raise Malformed("the feed has no opensearch:totalResults")
        total, start = int(total_text), int(cursor)
        if not entries and start < total:
            raise Malformed(f"no entries from {start} although the feed holds {total}")
        end = start + len(entries)
        return Page(len(entries), str(end) if entries and end < total else None, total)


class OaiPmh:
    kind = "oai"
    suffix = ".xml"
    interval = 3.0
    label = "arXiv OAI-PMH"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def first(self) -> str:
        return ""

    def url(self, spec: FeedSpec, day: date, cursor: str) -> str:
        query: dict[str, str] = {"verb": "ListRecords"}
        if cursor:
            query["resumptionToken"] = cursor
        else:
            query.update(
                metadataPrefix=spec.prefix or "arXiv",
                set=spec.selector,
                **{"from": day.isoformat(), "until": day.isoformat()},
            )
        return f"{self.endpoint}?{urlencode(query)}"

    def check(self, body: bytes, cursor: str) -> Page:
        root = _xml(body, "OAI-PMH")
        for error in _children(root, "error"):
            code = error.get("code", "")
            said = " ".join((error.text or "").split())
            if code == "noRecordsMatch":
                return Page(0, None, 0)
            if code == "badResumptionToken":
                raise Restart(said or code)
            raise Refused(f"OAI-PMH error {code}: {said}".rstrip(": "))
        lists = _children(root, "ListRecords")
        if not lists:
            raise Malformed("no <ListRecords> element")
        records = _children(lists[0], "record")
        papers = sum(
            1
            for record in records
            if _children(record, "metadata")
            and all(h.get("status") != "deleted" for h in _children(record, "header"))
        )
        tokens = _children(lists[0], "resumptionToken")
        token = (tokens[0].text or "").strip() if tokens else ""
        size = tokens[0].get("completeListSize", "") if tokens else ""
        return Page(papers, token or None, int(size) if size.isdigit() else None)


@dataclass(frozen=True)
class Endpoints:
    """Where each source is asked; every one can be pointed elsewhere (a mirror, a fake)."""

    hf: str = "https://huggingface.co"
    arxiv_api: str = "https://export.arxiv.org/api/query"
    oai: str = "https://oaipmh.arxiv.org/oai"

    VARIABLES: ClassVar[dict[str, str]] = {
        "hf": "HF_ENDPOINT",
        "arxiv_api": "SUMMARIZER_ARXIV_API_URL",
        "oai": "SUMMARIZER_OAI_URL",
    }
    """``HF_ENDPOINT`` as ``huggingface_hub`` reads it (the Hub's root, not the API path)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Endpoints:
        env = os.environ if env is None else env
        given = {
            name: env[variable].strip()
            for name, variable in cls.VARIABLES.items()
            if env.get(variable, "").strip()
        }
        for name, url in given.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"{cls.VARIABLES[name]}={url!r} is not an http(s) URL; "
                    f"e.g. {getattr(cls, name)}"
                )
        return cls(**given)

    def api(self, kind: str) -> Api:
        if kind == "hf":
            return HuggingFace(self.hf)
        if kind == "arxiv":
            return ArxivApi(self.arxiv_api)
        return OaiPmh(self.oai)
