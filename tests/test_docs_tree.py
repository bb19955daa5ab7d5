"""ARCHITECTURE.md and the README's Layout name the packages and modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "summarizer"


def _packages() -> set[str]:
    return {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def _layout() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Layout") :]


def test_every_package_is_in_the_architecture_and_the_layout() -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text()
    for name in _packages():
        assert f"{name}/" in architecture, f"ARCHITECTURE.md does not mention {name}/"
        assert f"`{name}/`" in _layout(), f"README Layout does not mention {name}/"


def test_every_module_the_docs_name_exists() -> None:
    modules = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}
    names = {Path(m).name for m in modules}
    for doc in (ROOT / "ARCHITECTURE.md").read_text(), _layout():
        for path in re.findall(r"[\w/]+\.py\b", doc):
            if path.startswith(("tests/", "bench/")):
                assert (ROOT / path).is_file(), f"{path} is named in the docs but does not exist"
            elif "/" in path:
                assert path in modules, f"{path} is named in the docs but does not exist"
            else:
                assert path in names, f"{path} is named in the docs but does not exist"
