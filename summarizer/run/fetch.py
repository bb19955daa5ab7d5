"""Fetching sources given as inputs (``hf:…``, ``arxiv:…@…``, ``oai:…@…``) into kept pages,
one day at a time, each window recorded in the ``fetches`` table.

A source becomes the page files it was fetched into, compressed under the feeds folder
(:func:`summarizer.store.paths.feeds_root`), and a run reads those files with the ordinary
input formats (``json`` for Hugging Face, ``atom`` for the arXiv API, ``oai`` for OAI-PMH):
every executor (local, Ray, provider batches) takes sources with no change, and a run can
be repeated offline from the kept pages.

Incremental:

- a closed window (complete, and fetched after its day was over) is not fetched again
  unless ``refresh``: its kept pages are read;
- a window that includes today is fetched again by the next fetch, until one runs after
  the day is over;
- a window cut short (Ctrl-C, a network error, a malformed page) keeps the pages it
  finished and resumes from the next page or resumption token;
- ``START`` = ``last`` starts the day after the newest closed window of that source.

Polite: one request at a time per site (arXiv's API and its OAI-PMH host count as one),
``Api.interval`` seconds apart (arXiv asks for 3 s), ``Retry-After`` honoured, a User-Agent
that names the tool (:mod:`summarizer.ingest.remote.http`).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from summarizer.core.errors import ConfigError, FetchError
from summarizer.ingest.remote import FeedSpec, is_source, parse_source
from summarizer.ingest.remote.apis import Api, Endpoints, Page, Restart
from summarizer.ingest.remote.http import USER_AGENT, Clock, HttpClient, RealClock
from summarizer.store import fetches
from summarizer.store.paths import feeds_root

if TYPE_CHECKING:
    from summarizer.store.store import Store

INTERVAL_VARIABLE = "SUMMARIZER_FETCH_INTERVAL"
"""Seconds between two requests to any source, overriding each source's own (for a mirror
or a local fake; arXiv asks for 3 s)."""

Progress = Callable[[str], None]


@dataclass
class FetchOptions:
    """How sources are fetched; the defaults are what ``summarizer fetch`` and ``run`` use."""

    refresh: bool = False
    """Fetch every window again, closed ones too."""
    root: Path | None = None
    """The feeds folder; None: ``SUMMARIZER_FEEDS_DIR``, else beside the database."""
    endpoints: Endpoints | None = None
    """None: from the environment (``HF_ENDPOINT``, ``SUMMARIZER_ARXIV_API_URL``,
    ``SUMMARIZER_OAI_URL``)."""
    clock: Clock | None = None
    interval: float | None = None
    """Seconds between requests; None: ``SUMMARIZER_FETCH_INTERVAL``, else each source's."""
    attempts: int = 5
    timeout: float = 60.0
    progress: Progress | None = None
    """Told one line per window fetched."""


@dataclass
class SourceReport:
    """What fetching one source input did."""

    spec: FeedSpec
    days: int = 0
    fetched: int = 0
    """Windows fetched now (from their first page or from where they stopped)."""
    resumed: int = 0
    kept: int = 0
    """Closed windows read from the pages kept before, not fetched."""
    pages: int = 0
    papers: int = 0
    files: list[Path] = field(default_factory=list)
    start: date | None = None

    def line(self) -> str:
        span = f"{self.days} day{'s' if self.days != 1 else ''}"
        if self.days and self.start is not None:
            span += f" ({self.start}..{self.spec.end})"
        line = f"{self.spec.text}: {span} · fetched {self.fetched}"
        if self.fetched:
            line += f" ({self.pages} page{'s' if self.pages != 1 else ''}, {self.papers} papers"
            line += f"; {self.resumed} resumed)" if self.resumed else ")"
        line += f" · already fetched {self.kept}"
        if self.spec.clamped is not None:
            line += f" · {self.spec.clamped} is after today: fetched up to {self.spec.end}"
        return line


@dataclass
class FetchReport:
    sources: list[SourceReport] = field(default_factory=list)
    root: Path | None = None
    requests: int = 0
    waits: list[float] = field(default_factory=list)
    """Every pause the clients took (intervals, Retry-After, backoff), in seconds."""

    @property
    def files(self) -> list[Path]:
        return [path for source in self.sources for path in source.files]

    @property
    def lines(self) -> list[str]:
        return [source.line() for source in self.sources]


def today_utc(clock: Clock | None = None) -> date:
    return (clock or RealClock()).now().date()


def split_inputs(
    inputs: Iterable[str | Path], today: date
) -> tuple[list[str | Path], list[FeedSpec]]:
    """The files (and folders, and ``-``) among ``inputs``, and the sources, each checked:
    a misspelt source is a ConfigError naming it and the spelling expected."""
    files: list[str | Path] = []
    specs: list[FeedSpec] = []
    for item in inputs:
        if is_source(item):
            specs.append(parse_source(item, today))
        else:
            files.append(item)
    return files, specs


def fetch_inputs(
    inputs: Iterable[str | Path], store: Store, options: FetchOptions | None = None
) -> tuple[list[str | Path], FetchReport | None]:
    """``inputs`` with each source replaced, in place, by the page files it was fetched
    into (None for the report when no input is a source)."""
    options = options or FetchOptions()
    items = list(inputs)
    today = today_utc(options.clock)
    if not any(is_source(item) for item in items):
        return items, None
    _, specs = split_inputs(items, today)
    report = fetch(specs, store, options)
    pages = iter(report.sources)
    resolved: list[str | Path] = []
    for item in items:
        if is_source(item):
            resolved.extend(next(pages).files)
        else:
            resolved.append(item)
    return resolved, report


def fetch_sources(
    items: Iterable[str | Path], store: Store, options: FetchOptions | None = None
) -> FetchReport:
    """``summarizer fetch``: fetch sources only (every item must be one), keeping the pages."""
    options = options or FetchOptions()
    today = today_utc(options.clock)
    specs = []
    for item in items:
        if not is_source(item):
            raise ConfigError(
                f"{str(item)!r} is not a source; expected hf:START..END, "
                "arxiv:CATEGORIES@START..END or oai:SET@START..END (files are read by "
                "`summarizer run` and `summarizer ingest`)"
            )
        specs.append(parse_source(item, today))
    return fetch(specs, store, options)


def _interval(api: Api, options: FetchOptions) -> float:
    if options.interval is not None:
        return options.interval
    given = os.environ.get(INTERVAL_VARIABLE, "").strip()
    if given:
        try:
            return max(0.0, float(given))
        except ValueError:
            raise ConfigError(
                f"{INTERVAL_VARIABLE}={given!r} is not a number of seconds (e.g. 3)"
            ) from None
    return api.interval


def _site(endpoint: str) -> str:
    """Who answers an endpoint: the domain (``arxiv.org`` for both of arXiv's hosts), or the
    host and port of an address or a one-word host (a local fake)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return parts.netloc.lower()
    return ".".join(labels[-2:])


def _user_agent() -> str:
    version = getattr(sys.modules.get("summarizer"), "__version__", "0")
    return USER_AGENT.format(version=version)


def fetch(specs: list[FeedSpec], store: Store, options: FetchOptions | None = None) -> FetchReport:
    """Fetch every window of ``specs`` that is not closed (all of them with ``refresh``),
    keeping each page as a file and recording it as it lands; the report lists every
    window's page files, fetched now or before, in order."""
    options = options or FetchOptions()
    clock = options.clock or RealClock()
    endpoints = options.endpoints or Endpoints.from_env()
    root = options.root or feeds_root(store.path)
    report = FetchReport(root=root)
    apis = {spec.kind: endpoints.api(spec.kind) for spec in specs}
    intervals: dict[str, float] = {}
    for api in apis.values():  # one client per site: arXiv's API and OAI-PMH share its 3 s
        site = _site(api.endpoint)
        intervals[site] = max(intervals.get(site, 0.0), _interval(api, options))
    clients: dict[str, HttpClient] = {}
    try:
        for spec in specs:
            api = apis[spec.kind]
            site = _site(api.endpoint)
            client = clients.get(site)
            if client is None:
                client = clients[site] = HttpClient(
                    user_agent=_user_agent(),
                    interval=intervals[site],
                    timeout=options.timeout,
                    attempts=options.attempts,
                    clock=clock,
                )
            source = SourceReport(spec)
            report.sources.append(source)
            _Fetcher(spec, api, client, store, root, options, clock, source).run()
    finally:
        report.requests = sum(c.requests for c in clients.values())
        report.waits = [w for c in clients.values() for w in c.waits]
    return report


def _check(api: Api, body: bytes, *, cursor: str) -> Page:
    return api.check(body, cursor)


def _page_name(number: int, suffix: str) -> str:
    return f"page-{number:04d}{suffix}.gz"


@dataclass
class _Fetcher:
    """One source input, window by window."""

    spec: FeedSpec
    api: Api
    client: HttpClient
    store: Store
    root: Path
    options: FetchOptions
    clock: Clock
    report: SourceReport

    def run(self) -> None:
        with self.store.session():  # one open of the database for what is known
            start = self.spec.start
            if start is None:
                last = fetches.last_closed(self.store, self.spec.key)
                if last is None:
                    raise self._no_last()
                start = last + timedelta(days=1)
            days = self.spec.days(start) if start <= self.spec.end else []
            known = fetches.windows(self.store, self.spec.key, days)
        self.report.start = start
        self.report.days = len(days)
        for day in days:
            self._window(day, known.get(day))

    def _no_last(self) -> ConfigError:
        head = "hf:" if self.spec.kind == "hf" else self.spec.text.rpartition("@")[0] + "@"
        example = f"{head}{self.spec.end - timedelta(days=6)}..{self.spec.end}"
        return ConfigError(
            f"source {self.spec.text!r}: no window of {self.spec.key} was fetched completely "
            f"yet, so there is no last one to start after; give a start date (e.g. {example})"
        )

    def _now(self) -> datetime:
        return self.clock.now().replace(tzinfo=None)

    def _folder(self, day: date) -> Path:
        return self.root / self.spec.folder / day.isoformat()

    def _pages(self, folder: Path, count: int) -> list[Path]:
        return [folder / _page_name(n, self.api.suffix) for n in range(1, count + 1)]

    def _window(self, day: date, known: fetches.Window | None) -> None:
        folder = self._folder(day)
        files: list[Path] = []
        number, papers, cursor = 1, 0, self.api.first()
        if known is not None and not self.options.refresh:
            kept = self._pages(folder, known.pages)
            present = all(path.is_file() for path in kept)
            if known.closed and present:
                self.report.kept += 1
                self.report.files.extend(kept)
                return
            if not known.complete and present and known.cursor is not None:
                files, number, papers, cursor = kept, known.pages + 1, known.papers, known.cursor
                self.report.resumed += 1
        if number == 1:
            self._start(folder)
        started_at = known.started_at if known is not None and number > 1 else self._now()
        resumed_at = number
        restarted = False
        while True:
            url = self.api.url(self.spec, day, cursor)
            where = f"{self.spec.text}: {day} page {number} ({url})"
            try:
                body, page = self.client.get(
                    url, where=where, check=functools.partial(_check, self.api, cursor=cursor)
                )
            except Restart as restart:  # an expired resumption token: the window over again
                if restarted:
                    raise FetchError(
                        f"{where}: the source refused its own resumption token twice "
                        f"({restart}); run again to fetch the window from its start"
                    ) from None
                restarted = True
                self._start(folder)
                files, number, papers, cursor, resumed_at = [], 1, 0, self.api.first(), 1
                continue
            except FetchError as error:
                fetches.failed(
                    self.store, self.spec.key, day, page=number, cursor=cursor,
                    folder=str(folder), started_at=started_at, error=str(error), now=self._now(),
                )  # fmt: skip
                raise
            files.append(self._keep(folder, number, body))
            papers += page.papers
            fetches.page_kept(
                self.store, self.spec.key, day, page=number, papers=papers, cursor=page.next,
                folder=str(folder), started_at=started_at, now=self._now(),
            )  # fmt: skip
            self.report.pages += 1
            self.report.papers += page.papers
            if page.next is None:
                break
            number, cursor = number + 1, page.next
        self.report.fetched += 1
        self.report.files.extend(files)
        if self.options.progress is not None:
            resumed = f", resumed at page {resumed_at}" if resumed_at > 1 else ""
            self.options.progress(
                f"fetched {self.spec.key} {day}: {number} page{'s' if number != 1 else ''}, "
                f"{papers} papers{resumed}"
            )

    def _start(self, folder: Path) -> None:
        """A window from its first page: the pages of an earlier fetch go first (its row is
        replaced when the first new page is recorded)."""
        if folder.is_dir():
            for old in folder.glob("page-*.gz"):
                old.unlink()

    def _keep(self, folder: Path, number: int, body: bytes) -> Path:
        """Write the page whole (a temporary file renamed into place) before it is
        recorded: a page on disk is either complete or absent."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _page_name(number, self.api.suffix)
        partial = path.with_name(path.name + ".part")
        try:
            with (
                partial.open("wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as out,
            ):
                out.write(body)
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        return path


__all__ = [
    "FetchOptions",
    "FetchReport",
    "fetch",
    "fetch_inputs",
    "fetch_sources",
    "split_inputs",
]
