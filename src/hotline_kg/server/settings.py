"""Settings, in one place: every limit and choice of the program, and the base URI of the data.

Each setting is defined once, as a field of ``Settings``: its name, type, default and help. From
that one definition come

- its environment variable ``HOTLINE_KG_<NAME>`` (``HOTLINE_KG_BASE_URI``, ``HOTLINE_KG_TIMEOUT``
  …; pydantic-settings reads them);
- its command-line option ``--<name>`` (``--base-uri``, ``--timeout`` …) on the commands its
  field names (``hotline_kg.cli`` makes them with ``add_options``, the default shown from the
  field, and passes only the options given: an option overrides its variable, which overrides
  the default);
- ``read(name)``: one setting alone (``Switches`` holds those read only this way: the
  extractor's debug switch, the largest input file a store loads).

The routes read the settings from ``request.app.state.settings``.

This module imports nothing of the server: anything may import it.
"""

from __future__ import annotations

import argparse
import functools
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline_kg.rdf.vocab import DEFAULT_BASE, DEFAULT_HOST

ENV_PREFIX = "HOTLINE_KG_"
#: The most quads the static site's query page loads into the reader's browser (the dump's, which
#: the browser holds twice: as named graphs and as their union). Measured: bench/results/site.md.
BROWSER_MAX_QUADS = 500_000
#: The environment variable of the base URI (``build``, ``validate`` and ``serve`` read it).
BASE_ENV = ENV_PREFIX + "BASE_URI"
_CONFIG = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True)


def _bytes(value: object) -> object:
    """A number of bytes, or one with a K, M or G suffix (binary units: 500K, 8G, 8GiB)."""
    if not isinstance(value, str):
        return value
    match = re.fullmatch(r"(\d+)\s*([KMG]?)i?B?", value.strip(), re.IGNORECASE)
    if match is None:
        raise ValueError("not a number of bytes (e.g. 8G, 500M, 1000000)")
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2).upper()]


Bytes = Annotated[int, BeforeValidator(_bytes)]


class _Variables(BaseSettings):
    """What ``Settings`` and ``read`` read: the ``HOTLINE_KG_*`` variables (an empty one is unset)."""

    model_config = _CONFIG


def _setting(default: Any, help: str, *commands: str, metavar: str | None = None) -> Any:
    """A field of ``Settings``: its default, its help, and the commands that take it as an option."""
    return Field(default, description=help, json_schema_extra={"commands": list(commands), "metavar": metavar})


class Settings(_Variables):
    """Every limit has a safe default; ``HOTLINE_KG_*`` variables and command-line options change them."""

    dist: Path = _setting(
        Path("dist"), "the built graph and its files", "serve", "load", "validate", "site", metavar="DIR"
    )
    data: list[Path] = _setting([], "serve these RDF files instead of the build", "serve", metavar="FILE")
    named: list[tuple[str, Path]] = _setting([], "and these, each as a named graph")
    base_uri: str = _setting(DEFAULT_BASE, "base of every URI", "serve", "build", "validate", "site", metavar="URI")
    engine: str | None = _setting(
        None,
        "serve a remote SPARQL endpoint (Oxigraph server, Virtuoso …) instead of the build or --data; "
        "dumps still come from --dist",
        "serve",
        metavar="URL",
    )
    validation_cache: Path | None = _setting(
        None,
        "keep each validation's results in this folder, under a hash of the data, the shapes and the "
        "validator's version: a unit validated before with the same inputs is not validated again "
        "(none: validate everything)",
        "build",
        "validate",
        metavar="DIR",
    )
    host: str = _setting(DEFAULT_HOST, "address to listen on", "serve")
    port: int = _setting(8000, "port to listen on", "serve")
    timeout: float = _setting(
        10.0,
        "seconds a query may run (serve: the server's limit; load: the engine's own; site: the browser's)",
        "serve",
        "load",
        "site",
    )
    max_rows: int = _setting(
        10000,
        "result rows (or triples) of a query (serve: the server's limit; load: the engine's own; site: the browser's)",
        "serve",
        "load",
        "site",
    )
    max_query: int = _setting(20000, "characters of a query", "serve")
    max_body: int = _setting(100000, "bytes of a POST", "serve")
    workers: int = _setting(4, "queries evaluated at once", "serve")
    cache_mb: float = _setting(64, "MB of answers kept in memory, per build (0: none)", "serve")
    store: Literal["auto", "memory", "disk"] = _setting(
        "auto",
        "keep the graph in memory, or on disk opened read-only by each worker (auto: on disk above "
        "20 MB of input, uncompressed)",
        "serve",
    )
    store_dir: Path | None = _setting(
        None,
        "build the on-disk store here and reuse it at the next start while the input files are unchanged "
        "(none: a temporary folder, removed at exit)",
        "serve",
        metavar="DIR",
    )
    allow_service: list[str] = _setting(
        [],
        "SPARQL endpoints a query's SERVICE may reach, each by its whole IRI (http or https; none: SERVICE "
        "is refused); this server makes the call, within the query's time limit",
        "serve",
        metavar="URL",
    )
    service_max_bytes: Bytes = _setting(
        16 << 20, "bytes of one SERVICE answer (or with a K, M or G suffix); its rows count against --max-rows", "serve"
    )
    queries: Path = _setting(Path("queries"), "the example queries", "serve", "site", metavar="DIR")
    raw: Path = _setting(
        Path("data/raw"), "the report texts (and sources.csv), served at /reports/", "serve", "site", metavar="DIR"
    )
    site_dir: Path = _setting(Path("dist/site"), "where the static site is written", "site", metavar="DIR")
    oxigraph_js: Path = _setting(
        Path("web/node_modules/oxigraph"),
        "the npm package oxigraph (WebAssembly), which answers SPARQL in the static site's query page",
        "site",
        metavar="DIR",
    )
    site_server: str = _setting(
        "",
        "a server of the same data (hotline-kg serve, https://…): the static query page points readers "
        "there, and sends them there when the data is too large for a browser (none: the dumps)",
        "site",
        metavar="URL",
    )
    browser_max_quads: int = _setting(
        BROWSER_MAX_QUADS,
        "quads a browser is given to query (more: the static query page sends readers to --site-server)",
        "site",
    )
    site_url: str = _setting(
        "",
        "where the static site is published (https://…/): the w3id.org redirects go there (none: not written)",
        "site",
        metavar="URL",
    )
    max_age: int = _setting(3600, "seconds a client or an HTTP cache may keep an answer of this build", "serve")
    client_rate: float = _setting(100, "requests a second from one address (0: no limit)", "serve")
    client_burst: int = _setting(200, "requests one address may send at once above its rate", "serve")
    client_queries: int = _setting(
        3,
        "queries one address may have running at once (0: no limit; keep it below --workers, so that no "
        "client can hold every worker)",
        "serve",
    )
    trusted_proxies: str = _setting(
        "",
        "load balancers (addresses or networks, comma-separated) whose X-Forwarded-For names the client "
        "(none: no client can pose as another by writing the header itself)",
        "serve",
        metavar="ADDRESSES",
    )
    header_timeout: float = _setting(10, "seconds to send a request's headers (408 past them; 0: no limit)", "serve")
    body_timeout: float = _setting(10, "seconds to send a request's body (408 past them; 0: no limit)", "serve")
    max_url: int = _setting(65536, "bytes of a request's URL (414 past them; 0: no limit)", "serve")
    max_headers: int = _setting(32768, "bytes of a request's header fields (431 past them; 0: no limit)", "serve")

    @field_validator("allow_service")
    @classmethod
    def _endpoints(cls, given: list[str]) -> list[str]:
        for url in given:
            if not is_web_address(url):
                raise ValueError(f"not an http(s) address: {url!r}")
        return given

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


class Switches(_Variables):
    """Settings read where they are used, each alone (``read``), so that one set wrong stops only
    what uses it: the largest input file a store loads, the extractor's debug switch."""

    max_input: Bytes | None = _setting(
        None,
        "bytes of text (once decompressed) of one input file a store loads, or with a K, M or G suffix "
        "(none: 8G, and a gzip file whose text is over a hundred times its size is refused as a bomb; "
        "when set, the only limit)",
    )
    debug: bool = _setting(False, "let a failure of the extractor end with its traceback (1, true, yes or on)")


def is_web_address(url: str) -> bool:
    """Whether a setting's value is an http(s) address, with nothing in it a page or a header could
    take for something else (spaces, quotes, angle brackets)."""
    return re.fullmatch(r"https?://[^\s<>\"'{}|^`\\]+", url) is not None


def env_name(name: str) -> str:
    """The environment variable of a setting."""
    return ENV_PREFIX + name.upper()


def read(name: str) -> Any:
    """One setting alone: its environment variable, else its default, checked as ``Settings``
    checks it (ValueError naming the variable). No other variable is read, so that one set wrong
    stops only what uses it."""
    try:
        return getattr(_alone(name)(), name)
    except ValidationError as err:
        raise ValueError("; ".join(problems(err))) from None


@functools.cache
def _alone(name: str) -> type[BaseSettings]:
    """A settings class of the one field ``name`` (made once per name)."""
    field = Settings.model_fields.get(name) or Switches.model_fields[name]
    return create_model("One", __base__=_Variables, **{name: (field.annotation, field)})


def default_base() -> str:
    """The base URI when no --base-uri is given: ``$HOTLINE_KG_BASE_URI``, else the canonical one."""
    return read("base_uri")  # type: ignore[no-any-return]


def problems(err: ValidationError) -> list[str]:
    """Each problem of a ValidationError, naming the setting's environment variable (a bad option
    value is refused by its type before, by argparse)."""
    out = []
    for problem in err.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        given = problem.get("input")
        shown = f"={given}" if isinstance(given, str | int | float) else ""
        out.append(f"{env_name(name)}{shown}: {problem['msg'].removeprefix('Value error, ')}")
    return out


# --- command-line options ---------------------------------------------------------------------


def add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Add an option to ``parser`` for each setting ``command`` takes, with its type, help and
    default from the field. Options not given are left None, so that the variable or the
    default applies (``given``)."""
    for name in options(command):
        field = Settings.model_fields[name]
        extra = field.json_schema_extra
        assert isinstance(extra, dict)
        kind: dict[str, Any] = {}
        annotation = field.annotation
        if typing.get_origin(annotation) in (types.UnionType, typing.Union):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        if typing.get_origin(annotation) is Literal:
            kind["choices"] = typing.get_args(annotation)
        elif typing.get_origin(annotation) is list:  # --data a.nt b.nt, or --data a.nt --data b.nt
            kind |= {"nargs": "+", "type": typing.get_args(annotation)[0], "action": "extend"}
        elif annotation is not str and annotation is not bool:
            kind["type"] = annotation
        default = field.default
        shown = f"default: {_shown(default)}; " if default not in (None, "", []) else ""
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=None,
            metavar=extra["metavar"] or None,
            help=f"{field.description} ({shown}${env_name(name)})",
            **kind,
        )


def _shown(default: object) -> str:
    if isinstance(default, int) and default >= 1 << 20 and default % (1 << 20) == 0:
        return f"{default >> 30}G" if default % (1 << 30) == 0 else f"{default >> 20}M"
    return str(default)


def options(command: str) -> list[str]:
    """The settings ``command`` takes as options."""
    return [n for n, f in Settings.model_fields.items() if command in f.json_schema_extra["commands"]]  # type: ignore[index, operator]


def given(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The settings given as options of ``command`` (those left out are not in it)."""
    return {name: getattr(args, name) for name in options(command) if getattr(args, name, None) is not None}


def resolved(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """Every setting ``command`` takes: the option given, else its variable, else its default
    (``read``: no other variable is read)."""
    chosen = given(args, command)
    return {name: chosen[name] if name in chosen else read(name) for name in options(command)}
