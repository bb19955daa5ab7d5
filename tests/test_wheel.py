"""The wheel: only the package, with its prompt templates, importable without the test extra.

Built once, installed into a fresh venv away from the checkout; dependencies come from this
environment except the test-only ones, which the fresh interpreter is made unable to import.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_ONLY = ["pytest", "mypy", "ruff", "build", "importlinter", "grimp"]


@pytest.mark.slow
def test_wheel_holds_the_package_and_imports_without_test_extras(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("summarizer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.startswith("summarizer-")}
    assert top == {"summarizer"}, top
    assert "summarizer/prompts/extract_v2.md" in names and "summarizer/py.typed" in names
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    fresh_python = fresh / "bin" / "python"
    fresh_site = Path(
        subprocess.run(
            [str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # dependencies come from this environment; summarizer itself only from the wheel
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh_python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    script = (
        "import summarizer, summarizer.backends.openai.prompts as p; "
        "print(summarizer.__file__); "
        "m = p.load_prompt().messages('T', 'An abstract.'); print(m[1]['content'])"
    )
    # an inherited PYTHONPATH (say, a checkout put first for a test run) would shadow the wheel
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(fresh_python), "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    location, *rendered = result.stdout.splitlines()
    assert location.startswith(str(fresh_site))
    assert "<abstract>" in rendered and "An abstract." in rendered
    version = subprocess.run(
        [
            str(fresh_python),
            "-c",
            "import summarizer, importlib.metadata as m; "
            "print(summarizer.__version__ == m.version('summarizer'))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "True"
    fake = subprocess.run(
        [
            str(fresh_python),
            "-c",
            "import sys; sys.modules['aiohttp'] = None; import summarizer.testing.fake_openai",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "pip install 'summarizer[testing]'" in fake.stderr
