"""A paper as read from an input, and the identity rules that deduplicate it.

The same paper shows up in many listings, sometimes with an arXiv id and
sometimes without, so identity is decided here once: the arXiv id when known,
otherwise a hash of the normalised title and abstract.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

_ARXIV_ID = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)


def normalise_text(text: str) -> str:
    """Fold what differs between copies of one abstract: case, Unicode forms, spacing."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(title: str, abstract: str) -> str:
    """Hash of the normalised title and abstract: the paper's content identity."""
    payload = normalise_text(title) + "\n" + normalise_text(abstract)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse_arxiv_id(value: str | None) -> str | None:
    """Return the bare arXiv id (no version) found in an id or URL, if any."""
    if not value:
        return None
    match = _ARXIV_ID.search(value.strip())
    return match.group("id") if match else None


@dataclass(slots=True)
class Paper:
    """One sighting of a paper in one input file."""

    title: str
    abstract: str
    source: str
    record: str
    arxiv_id: str | None = None
    url: str | None = None
    published: date | None = None
    listing_date: date | None = None
    authors: list[str] = field(default_factory=list)
    content_hash: str = ""
    paper_id: str = ""
    upvotes: int | None = None
    """Metadata from a source that counts them (Hugging Face daily papers)."""
    repo_url: str | None = None
    """The code repository a source lists for the paper (Hugging Face's ``githubRepo``), not
    read from the abstract: it fills ``code_url`` only where the abstract names none."""

    def __post_init__(self) -> None:
        self.title = " ".join(self.title.split())
        self.abstract = " ".join(self.abstract.split())
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.abstract)
        if not self.paper_id:
            self.paper_id = self.arxiv_id or "h" + self.content_hash[:20]
