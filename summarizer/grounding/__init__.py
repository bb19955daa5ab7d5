"""Grounding: every value a backend returns is located in the abstract, or flagged."""

from summarizer.grounding.facts import AbstractFacts, instruction_spans
from summarizer.grounding.ground import cross_check, ground
from summarizer.grounding.locate import Span, locate, locate_any

__all__ = [
    "AbstractFacts",
    "Span",
    "cross_check",
    "ground",
    "instruction_spans",
    "locate",
    "locate_any",
]
