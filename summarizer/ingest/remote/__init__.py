"""Fetching papers from their sources (Hugging Face daily papers, the arXiv API, arXiv's
OAI-PMH interface): the source spellings (:mod:`.spec`), a polite HTTP client (:mod:`.http`)
and each source's requests and page checks (:mod:`.apis`).

Nothing here touches the database: a run (:mod:`summarizer.run.fetch`) decides which windows
to fetch, records them, and keeps each page as a file that the ordinary input formats read
(``json``, ``atom``, ``oai``).
"""

from summarizer.ingest.remote.spec import FeedSpec, is_source, kind_of, parse_source

__all__ = ["FeedSpec", "is_source", "kind_of", "parse_source"]
