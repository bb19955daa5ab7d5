"""The offline ``rules`` backend: one module per concept (links, sizes, gains, method)."""

from summarizer.backends.rules.backend import RulesBackend
from summarizer.backends.rules.extract import RULES_VERSION, extract_summary

__all__ = ["RULES_VERSION", "RulesBackend", "extract_summary"]
