"""Shared fixtures: every test gets its own data folder, a clean environment, and no network;
those that ask get a fresh fake backend."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.backends import registry
from tests.fakes import CountingBackend

SEEDS = Path(__file__).resolve().parent / "data" / "listings"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = Path(__file__).resolve().parent / "data"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, str):  # unix socket path
        return True
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        raise RuntimeError(f"tests must not touch the network (tried {address!r})")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        raise RuntimeError(f"tests must not touch the network (tried {address!r})")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every path at tmp_path, drop real credentials, and refuse non-loopback sockets."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_MODEL", "OPENAI_ORG_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUMMARIZER_DB", str(tmp_path / "db" / "summarizer.duckdb"))
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def db_path(isolated: Path) -> Path:
    return isolated / "db" / "summarizer.duckdb"


@pytest.fixture
def seeds() -> Path:
    """The three real daily listings (213 entries, 182 distinct papers)."""
    return SEEDS


@pytest.fixture
def counting_backend(monkeypatch: pytest.MonkeyPatch) -> CountingBackend:
    """A fresh counting fake with a ledger of its own.

    For this test only, ``counting`` and ``counting-parallel`` also resolve by name, as the
    CLI and forked worker processes build backends; those instances keep their own ledgers.
    """
    monkeypatch.setitem(registry._REGISTRY, "counting", "tests.fakes:CountingBackend")
    monkeypatch.setitem(
        registry._REGISTRY, "counting-parallel", "tests.fakes:ParallelCountingBackend"
    )
    return CountingBackend()
