"""Fake sources for tests and benchmarks: Hugging Face daily papers, the arXiv API and arXiv's
OAI-PMH interface, served by one local HTTP server in each one's real format.

- ``GET /api/daily_papers?date=&limit=&p=``: a JSON list of daily-paper items as the Hub
  sends them (``paper`` with ``id``, ``title``, ``summary``, ``authors`` [{``_id``,
  ``name``}], ``publishedAt``, ``upvotes``, ``githubRepo``, and fields a client does not
  know); ``limit`` above 100 or a bad date is a 400 with ``{"error": …}``.
- ``GET /api/query?search_query=cat:… AND submittedDate:[… TO …]&start=&max_results=``: an
  Atom feed with ``opensearch:totalResults``, arXiv's line-wrapped titles and abstracts and
  its extension elements.
- ``GET /oai?verb=ListRecords&metadataPrefix=arXiv|arXivRaw&set=&from=&until=`` and
  ``?verb=ListRecords&resumptionToken=``: OAI-PMH pages of ``page_size`` records ending with
  a ``resumptionToken`` (empty on the last page), ``noRecordsMatch`` for an empty day, a
  ``<header status="deleted">`` record for a deleted paper, ``badResumptionToken`` once
  :meth:`FakeFeeds.expire_tokens` is called.

Faults on demand, per route (``hf``, ``arxiv``, ``oai``) and request number:
``429``/``503``/``500`` (with a ``Retry-After`` when given: seconds, or ``date:N`` for an
HTTP date N seconds on), ``truncated`` (a 200 whose body
stops halfway: a malformed page), ``cut`` (a 200 whose connection drops before the body is
whole), ``garbage`` (a 200 with an HTML error page), ``refuse`` (the source's own refusal:
a 400 with a JSON error from the Hub, an arXiv API error entry, an OAI-PMH ``badArgument``);
:meth:`FakeFeeds.down_from` fails
every request from one on until :meth:`FakeFeeds.heal`. Every request is recorded with the
time of the ``clock`` it was given, so a test on a fake clock sees the waits a client took.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import textwrap
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from summarizer.ingest.remote.apis import Endpoints

HOST = "127.0.0.1"
ROUTES = {"/api/daily_papers": "hf", "/api/query": "arxiv", "/oai": "oai"}
FAULTS = ("429", "503", "500", "truncated", "cut", "garbage", "refuse")


class _Clock(Protocol):
    def monotonic(self) -> float: ...


class FakeClock:
    """A clock for the fetching client and the fake alike: time moves only when slept on,
    so a test waits for nothing and the fake records the waits exactly. ``now`` is the UTC
    wall time (it moves with the sleeps too)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.wall = now or datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
        self.start = 1000.0
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.start + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += max(seconds, 0.0)

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.elapsed)


@dataclass
class FeedPaper:
    """One paper the fake sources list."""

    arxiv_id: str
    title: str
    abstract: str
    day: date
    """The day it is listed on: Hugging Face's daily list, the arXiv submission day, the
    OAI-PMH datestamp."""
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace", "Alan Turing"])
    categories: list[str] = field(default_factory=lambda: ["cs.CL"])
    upvotes: int = 0
    repo: str | None = None
    """The repository Hugging Face lists (``githubRepo``)."""
    deleted: bool = False
    """OAI-PMH: listed as a deleted record (a header, no metadata)."""


@dataclass
class Seen:
    """A request the fake answered."""

    route: str
    params: dict[str, str]
    at: float
    status: int


@dataclass
class _Fault:
    kind: str
    first: int
    last: int | None
    retry_after: str | None


class FakeFeeds:
    """The three fake sources on one local port; use as a context manager."""

    def __init__(
        self,
        *,
        hf: Iterable[FeedPaper] = (),
        arxiv: Iterable[FeedPaper] = (),
        oai: Iterable[FeedPaper] = (),
        clock: _Clock | None = None,
        oai_page: int = 1000,
        compress: bool = True,
    ) -> None:
        self.hf = list(hf)
        self.arxiv = list(arxiv)
        self.oai = list(oai)
        self.clock = clock
        self.oai_page = oai_page
        self.compress = compress
        self.requests: list[Seen] = []
        self.user_agents: set[str] = set()
        self._counts: Counter[str] = Counter()
        self._faults: dict[str, list[_Fault]] = {route: [] for route in ROUTES.values()}
        self._tokens: dict[str, tuple[dict[str, str], int]] = {}
        self._rendered: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------

    def fault(
        self,
        route: str,
        kind: str,
        *,
        at: int,
        times: int = 1,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the ``at``-th request to ``route`` (counting from 1) and the ``times - 1``
        after it with ``kind`` instead."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        after = None if retry_after is None else str(retry_after)
        self._faults[route].append(_Fault(kind, at, at + times - 1, after))

    def down_from(self, route: str, at: int, kind: str = "500") -> None:
        """Fail every request to ``route`` from the ``at``-th on, until :meth:`heal`."""
        self._faults[route].append(_Fault(kind, at, None, None))

    def heal(self) -> None:
        for faults in self._faults.values():
            faults.clear()

    def expire_tokens(self) -> None:
        """Forget every resumption token handed out: the next one asked for is bad."""
        self._tokens.clear()

    def warm(self) -> None:
        """Render every record in every format now, so a benchmark times the client, not the
        fake's first pass over its text."""
        for p in self.arxiv:
            self._render(p, "atom")
        for p in self.oai:
            for prefix in ("arXiv", "arXivRaw"):
                self._render(p, prefix)

    def _render(self, p: FeedPaper, shape: str) -> str:
        key = (p.arxiv_id, shape)
        found = self._rendered.get(key)
        if found is None:
            found = self._rendered[key] = (
                _atom_entry(p) if shape == "atom" else _oai_record(p, shape)
            )
        return found

    def seen(self, route: str) -> list[Seen]:
        return [r for r in self.requests if r.route == route]

    # -- serving ---------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://{HOST}:{self._server.server_address[1]}"

    def endpoints(self) -> Endpoints:
        return Endpoints(hf=self.url, arxiv_api=f"{self.url}/api/query", oai=f"{self.url}/oai")

    def env(self) -> dict[str, str]:
        """The variables that point ``summarizer`` at this fake (for a subprocess)."""
        ends = self.endpoints()
        return {
            "HF_ENDPOINT": ends.hf,
            "SUMMARIZER_ARXIV_API_URL": ends.arxiv_api,
            "SUMMARIZER_OAI_URL": ends.oai,
            "SUMMARIZER_FETCH_INTERVAL": "0",
        }

    def start(self) -> FakeFeeds:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeFeeds:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _now(self) -> float:
        return self.clock.monotonic() if self.clock is not None else time.monotonic()

    def _fault(self, route: str, number: int) -> _Fault | None:
        for fault in self._faults[route]:
            if number >= fault.first and (fault.last is None or number <= fault.last):
                return fault
        return None

    def _retry_after(self, value: str) -> str:
        """``date:N``: an HTTP date N seconds on (by the clock's ``now`` when it has one)."""
        if not value.startswith("date:"):
            return value
        now = getattr(self.clock, "now", None)
        moment = now() if now is not None else datetime.now(UTC)
        return format_datetime(moment + timedelta(seconds=float(value[5:])), usegmt=True)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        route = ROUTES.get(parts.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.user_agents.add(handler.headers.get("User-Agent", ""))
            if route is None:
                self.requests.append(Seen("?", params, self._now(), 404))
                _send(handler, 404, b"not found", "text/plain")
                return
            self._counts[route] += 1
            fault = self._fault(route, self._counts[route])
            status, body, kind = self._answer(route, params)
            if fault is not None and fault.kind == "refuse":
                status, body, kind = _refusal(route, params)
            if fault is not None and fault.kind in ("429", "503", "500"):
                status, body, kind = int(fault.kind), f"fake {fault.kind}".encode(), "text/plain"
            self.requests.append(Seen(route, params, self._now(), status))
        headers: dict[str, str] = {}
        if fault is not None and fault.retry_after is not None:
            headers["Retry-After"] = self._retry_after(fault.retry_after)
        if fault is not None and fault.kind == "refuse":
            fault = None  # a whole answer, in the source's own words
        if fault is not None and fault.kind == "garbage":
            body, kind = b"<html><body>Service temporarily unavailable</body></html>", "text/html"
        if fault is not None and fault.kind == "truncated":
            body = body[: max(1, len(body) // 2)]
        gzipped = (
            self.compress
            and "gzip" in handler.headers.get("Accept-Encoding", "")
            and status == 200
            and fault is None
        )
        if gzipped:
            body = gzip.compress(body, compresslevel=1, mtime=0)
            headers["Content-Encoding"] = "gzip"
        if fault is not None and fault.kind == "cut":
            _send(handler, 200, body[: len(body) // 2], kind, headers, length=len(body))
            handler.close_connection = True
            return
        _send(handler, status, body, kind, headers)

    def _answer(self, route: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        if route == "hf":
            return self._hf(params)
        if route == "arxiv":
            return self._arxiv(params)
        return self._oai(params)

    # -- Hugging Face ----------------------------------------------------------

    def _hf(self, params: dict[str, str]) -> tuple[int, bytes, str]:
        try:
            limit = int(params.get("limit", "50"))
            page = int(params.get("p", "0"))
            day = date.fromisoformat(params["date"]) if "date" in params else None
        except ValueError:
            return 400, json.dumps({"error": "Invalid date or number"}).encode(), "application/json"
        if limit > 100 or limit < 1:
            return (
                400,
                json.dumps({"error": '"limit" must be less than or equal to 100'}).encode(),
                "application/json",
            )
        listed = sorted(
            (p for p in self.hf if day is None or p.day == day), key=lambda p: -p.upvotes
        )
        items = [_hf_item(p) for p in listed[page * limit : (page + 1) * limit]]
        return 200, json.dumps(items).encode(), "application/json; charset=utf-8"

    # -- arXiv API -------------------------------------------------------------

    def _arxiv(self, params: dict[str, str]) -> tuple[int, bytes, str]:
        query = params.get("search_query", "")
        categories = set(re.findall(r"cat:([\w.-]+)", query))
        dates = re.search(r"submittedDate:\[(\d{8})\d{4} TO (\d{8})\d{4}\]", query)
        start = int(params.get("start", "0"))
        size = min(int(params.get("max_results", "10")), 2000)
        if not categories or dates is None:
            return 200, _atom_error("malformed search_query"), "application/atom+xml"
        first, last = (date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in dates.groups())
        matched = sorted(
            (
                p
                for p in self.arxiv
                if first <= p.day <= last and categories & set(p.categories) and not p.deleted
            ),
            key=lambda p: (p.day, p.arxiv_id),
        )
        entries = [self._render(p, "atom") for p in matched[start : start + size]]
        body = _atom(entries, total=len(matched), start=start, size=size)
        return 200, body, "application/atom+xml; charset=utf-8"

    # -- OAI-PMH ---------------------------------------------------------------

    def _oai(self, params: dict[str, str]) -> tuple[int, bytes, str]:
        kind = "text/xml; charset=utf-8"
        if params.get("verb") != "ListRecords":
            return 200, _oai_error(params, "badVerb", "only ListRecords here"), kind
        token = params.get("resumptionToken")
        offset = 0
        if token is not None:
            if token not in self._tokens:
                return 200, _oai_error(params, "badResumptionToken", "expired"), kind
            params, offset = self._tokens[token]
        prefix = params.get("metadataPrefix", "")
        if prefix not in ("arXiv", "arXivRaw"):
            return 200, _oai_error(params, "cannotDisseminateFormat", prefix), kind
        wanted = params.get("set", "")
        first = date.fromisoformat(params["from"]) if params.get("from") else date.min
        last = date.fromisoformat(params["until"]) if params.get("until") else date.max
        matched = sorted(
            (
                p
                for p in self.oai
                if first <= p.day <= last
                and (not wanted or any(c.split(".")[0] == wanted for c in p.categories))
            ),
            key=lambda p: (p.day, p.arxiv_id),
        )
        if not matched:
            return 200, _oai_error(params, "noRecordsMatch", "no records"), kind
        page = matched[offset : offset + self.oai_page]
        following = offset + len(page)
        next_token = ""
        if following < len(matched):
            next_token = f"{uuid.uuid4().hex[:12]}|{following}"
            self._tokens[next_token] = (params, following)
        records = "".join(self._render(p, prefix) for p in page)
        resumption = (
            f'<resumptionToken cursor="{offset}" completeListSize="{len(matched)}">'
            f"{escape(next_token)}</resumptionToken>"
        )
        return 200, _oai_envelope(params, f"<ListRecords>{records}{resumption}</ListRecords>"), kind


def _refusal(route: str, params: dict[str, str]) -> tuple[int, bytes, str]:
    if route == "hf":
        return 400, json.dumps({"error": "Invalid date"}).encode(), "application/json"
    if route == "arxiv":
        return 200, _atom_error("incorrect search query"), "application/atom+xml"
    return 200, _oai_error(params, "badArgument", "illegal argument"), "text/xml; charset=utf-8"


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    kind: str,
    headers: dict[str, str] | None = None,
    *,
    length: int | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    with contextlib.suppress(OSError):  # the client went away
        handler.wfile.write(body)


def _hf_item(p: FeedPaper) -> dict[str, Any]:
    listed = f"{p.day.isoformat()}T08:00:00.000Z"
    paper: dict[str, Any] = {
        "id": p.arxiv_id,
        "authors": [
            {"_id": f"{p.arxiv_id}-{i}", "name": name, "hidden": False}
            for i, name in enumerate(p.authors)
        ],
        "publishedAt": f"{p.day.isoformat()}T17:59:00.000Z",
        "submittedOnDailyAt": listed,
        "title": p.title,
        "summary": p.abstract,
        "upvotes": p.upvotes,
        "discussionId": f"d{p.arxiv_id.replace('.', '')}",
        "ai_summary": "A one-line summary written by a model.",
        "ai_keywords": ["fake", "keywords"],
        "mediaUrls": [],
        "futureField": {"the client": "does not know this", "values": [1, 2]},
    }
    if p.repo is not None:
        paper.update(githubRepo=p.repo, githubStars=42)
    return {
        "paper": paper,
        "publishedAt": listed,
        "title": p.title,
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{p.arxiv_id}.png",
        "numComments": 1,
        "submittedBy": {"_id": "u1", "name": "akhaliq", "fullname": "AK", "isPro": False},
        "isAuthorParticipating": False,
    }


def _wrapped(text: str, indent: str) -> str:
    """arXiv's Atom wraps titles and abstracts at about 80 columns."""
    return escape(textwrap.fill(text, 78, subsequent_indent=indent))


def _atom_entry(p: FeedPaper) -> str:
    authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in p.authors)
    categories = "".join(
        f'<category term="{escape(c)}" scheme="http://arxiv.org/schemas/atom"/>'
        for c in p.categories
    )
    stamp = f"{p.day.isoformat()}T12:00:00Z"
    return f"""
  <entry>
    <id>http://arxiv.org/abs/{p.arxiv_id}v1</id>
    <updated>{stamp}</updated>
    <published>{stamp}</published>
    <title>{_wrapped(p.title, "  ")}</title>
    <summary>  {_wrapped(p.abstract, "")}
</summary>
    {authors}
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">10 pages</arxiv:comment>
    <arxiv:future_field xmlns:arxiv="http://arxiv.org/schemas/atom">unknown</arxiv:future_field>
    <link href="http://arxiv.org/abs/{p.arxiv_id}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{p.arxiv_id}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="{escape(p.categories[0])}" scheme="http://arxiv.org/schemas/atom"/>
    {categories}
  </entry>"""


def _atom(entries: list[str], *, total: int, start: int, size: int) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/fake</id>
  <updated>2026-12-01T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{size}</opensearch:itemsPerPage>{"".join(entries)}
</feed>
""".encode()


def _atom_error(message: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/fake</id>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#{escape(message.replace(" ", "_"))}</id>
    <title>Error</title>
    <summary>{escape(message)}</summary>
  </entry>
</feed>
""".encode()


def _oai_envelope(params: dict[str, str], inner: str) -> bytes:
    attributes = " ".join(f'{k}="{escape(v)}"' for k, v in params.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<responseDate>2026-12-08T00:00:00Z</responseDate>"
        f"<request {attributes}>https://oaipmh.arxiv.org/oai</request>{inner}</OAI-PMH>\n"
    ).encode()


def _oai_error(params: dict[str, str], code: str, message: str) -> bytes:
    return _oai_envelope(params, f'<error code="{code}">{escape(message)}</error>')


def _oai_record(p: FeedPaper, prefix: str) -> str:
    sets = "".join(f"<setSpec>{escape(c.split('.')[0])}</setSpec>" for c in p.categories[:1])
    header = (
        f"<identifier>oai:arXiv.org:{p.arxiv_id}</identifier>"
        f"<datestamp>{p.day.isoformat()}</datestamp>{sets}"
    )
    if p.deleted:
        return f'<record><header status="deleted">{header}</header></record>'
    if prefix == "arXivRaw":
        metadata = (
            '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
            f"<id>{p.arxiv_id}</id><submitter>{escape(p.authors[0])}</submitter>"
            f'<version version="v1"><date>{p.day.strftime("%a, %d %b %Y")} 17:59:00 GMT</date>'
            "<size>120kb</size><source_type>D</source_type></version>"
            f"<title>{_wrapped(p.title, ' ')}</title>"
            f"<authors>{escape(', '.join(p.authors))}</authors>"
            f"<categories>{escape(' '.join(p.categories))}</categories>"
            "<license>http://creativecommons.org/licenses/by/4.0/</license>"
            f"<abstract>  {_wrapped(p.abstract, '')}\n</abstract></arXivRaw>"
        )
    else:
        authors = "".join(
            f"<author><keyname>{escape(name.split()[-1])}</keyname>"
            f"<forenames>{escape(' '.join(name.split()[:-1]))}</forenames></author>"
            if len(name.split()) > 1
            else f"<author><keyname>{escape(name)}</keyname></author>"
            for name in p.authors
        )
        metadata = (
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
            f"<id>{p.arxiv_id}</id><created>{p.day.isoformat()}</created>"
            f"<authors>{authors}</authors><title>{_wrapped(p.title, ' ')}</title>"
            f"<categories>{escape(' '.join(p.categories))}</categories>"
            "<comments>12 pages</comments><future-element>unknown</future-element>"
            "<license>http://creativecommons.org/licenses/by/4.0/</license>"
            f"<abstract>  {_wrapped(p.abstract, '')}\n</abstract></arXiv>"
        )
    return f"<record><header>{header}</header><metadata>{metadata}</metadata></record>"


__all__ = ["FAULTS", "FakeClock", "FakeFeeds", "FeedPaper", "Seen"]
