"""The input format names, alone in a module: the command line shows them in its help before
anything of the ingest side is loaded (:mod:`summarizer.ingest` reads the formats)."""

INPUT_FORMATS = ("listing", "jsonl", "json", "csv", "tsv", "atom", "rss", "parquet", "oai")
"""Input format names, a public contract (`--input-format`, formerly `--format`): add, never
rename."""
