"""Versioned prompt templates: loading, hashing and rendering.

The system template (static instructions, and the schema the client adds)
comes first and the abstract last, so provider-side prompt caching can reuse
the shared prefix across a batch. The hash of both templates is part of the
cache key: editing a prompt re-extracts exactly the papers it affects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from summarizer.core.errors import ConfigError

DEFAULT_PROMPT = "extract_v3"
_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # summarizer/


def prompt_dirs() -> list[Path]:
    """Templates ship inside the wheel (summarizer/prompts); a checkout keeps them at prompts/."""
    return [_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parent / "prompts"]


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str
    user: str

    @property
    def hash(self) -> str:
        payload = f"{self.name}\0{self.system}\0{self.user}".encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    def messages(self, title: str, abstract: str) -> list[dict[str, str]]:
        fenced = abstract.replace("</abstract>", "&lt;/abstract&gt;")
        user = self.user.replace("{title}", " ".join(title.split())).replace("{abstract}", fenced)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@lru_cache(maxsize=8)
def load_prompt(name: str = DEFAULT_PROMPT) -> PromptTemplate:
    for folder in prompt_dirs():
        system = folder / f"{name}.md"
        user = folder / f"{name}.user.md"
        if system.is_file() and user.is_file():
            return PromptTemplate(name, system.read_text("utf-8"), user.read_text("utf-8"))
    searched = ", ".join(str(d) for d in prompt_dirs())
    raise ConfigError(f"prompt template {name!r} not found in {searched}; reinstall summarizer")
