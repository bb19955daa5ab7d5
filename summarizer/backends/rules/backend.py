"""The offline, deterministic backend: regular rules over the abstract, no network, no cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarizer.backends.base import Backend, BackendSettings, Capabilities
from summarizer.backends.rules.version import RULES_VERSION
from summarizer.core.identity import CacheIdentity

if TYPE_CHECKING:
    from summarizer.core.paper import Paper
    from summarizer.core.schema import Summary

# The rules compile their patterns on import: they load with the first paper extracted, so a
# cached re-run (which only needs the identity) never pays for them.


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
        from summarizer.backends.rules.extract import extract_summary

        return extract_summary(paper.title, paper.abstract)
