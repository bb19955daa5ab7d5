"""The offline, deterministic backend: regular rules over the abstract, no network, no cost."""

from __future__ import annotations

from summarizer.backends.base import Backend, BackendSettings, Capabilities
from summarizer.backends.rules.extract import RULES_VERSION, extract_summary
from summarizer.core.identity import CacheIdentity
from summarizer.core.paper import Paper
from summarizer.core.schema import Summary


class RulesBackend(Backend):
    name = "rules"
    capabilities = Capabilities(billable=False, parallel=True)

    def __init__(self, settings: BackendSettings | None = None) -> None:
        super().__init__(settings)
        self._identity = CacheIdentity(backend=self.name, model=RULES_VERSION)

    @property
    def identity(self) -> CacheIdentity:
        return self._identity

    def extract(self, paper: Paper) -> Summary:
        return extract_summary(paper.title, paper.abstract)
