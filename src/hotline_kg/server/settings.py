"""Settings, in one place: every limit and choice of the server, and the base URI of the data.

Each setting has a safe default, may be set by an environment variable ``HOTLINE_KG_<NAME>``
(``HOTLINE_KG_BASE_URI``, ``HOTLINE_KG_ENGINE``, ``HOTLINE_KG_TIMEOUT`` …; pydantic-settings reads
them), and is overridden by the matching ``hotline-kg serve`` option (``--base-uri``, ``--engine``,
``--timeout`` …): ``hotline_kg.cli`` passes only the options given. The routes read the settings
from ``request.app.state.settings``.

This module imports nothing of the server: anything may import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline_kg.rdf.vocab import DEFAULT_BASE, DEFAULT_HOST

ENV_PREFIX = "HOTLINE_KG_"
#: The environment variable of the base URI (``build``, ``validate`` and ``serve`` read it).
BASE_ENV = ENV_PREFIX + "BASE_URI"


class Settings(BaseSettings):
    """Every limit has a safe default; ``HOTLINE_KG_*`` variables and `hotline-kg serve` options change them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True)

    dist: Path = Path("dist")  # the build: its graph, dumps and files
    data: list[Path] = []  # serve these files instead of dist/
    named: list[tuple[str, Path]] = []  # and these, each as a named graph
    base_uri: str = DEFAULT_BASE  # base of the served URIs
    engine: str | None = None  # the URL of a SPARQL endpoint to serve instead of dist/ or the files
    host: str = DEFAULT_HOST  # address to listen on
    port: int = 8000
    timeout: float = 10.0  # seconds per query
    max_rows: int = 10000  # result rows (or triples)
    max_query: int = 20000  # characters
    max_body: int = 100000  # bytes of a POST
    workers: int = 4  # queries evaluated at once
    cache_mb: float = 64  # MB of answers kept in memory (0: none)
    store: Literal["auto", "memory", "disk"] = "auto"  # auto: on disk above ON_DISK_ABOVE bytes of input
    store_dir: Path | None = None  # where the on-disk store is built and kept for the next start
    queries: Path = Path("queries")  # the example queries
    raw: Path = Path("data/raw")  # the report texts (and sources.csv, which lists them), served at /reports/
    max_age: int = 3600  # seconds a client or an HTTP cache may keep an answer of this build
    # what one client may take (keyed by its address; 0: no limit): requests a second and the burst
    # allowed above that rate (429 past them), and queries running in the engine at once (429 past
    # them; keep it below `workers`, so that no client can hold every worker)
    client_rate: float = 100
    client_burst: int = 200
    client_queries: int = 3
    # the proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client:
    # none by default, so that no client can pose as another by writing the header itself
    trusted_proxies: str = ""
    # what one connection may hold (0: no limit): seconds to send a request's headers, and its body
    # (408 past them), bytes of URL (414) and of header fields (431)
    header_timeout: float = 10
    body_timeout: float = 10
    max_url: int = 65536
    max_headers: int = 32768

    @property
    def base(self) -> str:
        return self.base_uri

    @property
    def on_disk(self) -> bool | None:
        """None: on disk when the input is larger than ON_DISK_ABOVE bytes."""
        return {"auto": None, "memory": False, "disk": True}[self.store]

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 2**20)


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True)

    base_uri: str = DEFAULT_BASE


def default_base() -> str:
    """The base URI when no --base-uri is given: ``$HOTLINE_KG_BASE_URI``, else the canonical one."""
    return _Base().base_uri
