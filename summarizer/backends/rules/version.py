"""The rules' version: part of their cache identity, so a change to the rules re-extracts.

Kept apart from the rules themselves, which compile their patterns on import: a cached
re-run needs the identity, not the rules.
"""

RULES_VERSION = "rules-4"
"""rules-4 (schema 3): a repository on a code host is the paper's code; results; gains are
improvements only."""
