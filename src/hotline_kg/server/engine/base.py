"""The one interface every store behind the server implements, and what it answers or raises.

The routes and views know only this: ``Engine.query`` with a query text, its dataset, the media
type wanted and a time limit. Whatever the engine is, the protocol layer (``server.protocol``)
has already refused updates, SERVICE, LOAD and FROM outside the dataset before a query gets here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from hotline_kg.formats import GRAPH_TYPES, SOLUTION_TYPES
from hotline_kg.server.query_text import Unwritable, in_parser_thread

T = TypeVar("T")

# SOLUTION_TYPES, GRAPH_TYPES: the result media types the engines give (defined in ``hotline_kg.formats``):
# solutions (SELECT) and booleans (ASK), and graphs (CONSTRUCT, DESCRIBE). The first of each is the default.


class QueryFailed(Exception):
    """The engine rejected the query (syntax, evaluation error): a client error (HTTP 400)."""


class QuerySyntaxError(QueryFailed):
    """The engine's parser rejected the query."""


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped, or its answer was cut short (HTTP 503)."""


class Busy(Exception):
    """Every slot stayed busy for as long as a query may run: the client should retry later (503)."""


class Unavailable(Exception):
    """The engine cannot be reached or gave no usable answer (HTTP 503)."""


class TooManyResults(Exception):
    """The result is larger than the result limit (HTTP 413)."""


async def checked(function: Callable[..., T], *args: object, limit: float) -> T:
    """``function(*args)``, a check of a query or a rewrite that makes an engine answer it as SPARQL
    says, run in the parser's thread: QueryFailed (a 400 that says why) where the query is
    Unwritable, QueryTimeout after ``limit`` seconds (the query is not run)."""
    try:
        return await in_parser_thread(function, *args, limit=limit)
    except TimeoutError:
        raise QueryTimeout(f"checking the query took longer than {limit:g} s; it was not run") from None
    except Unwritable as err:
        raise QueryFailed(str(err)) from None


@dataclass(frozen=True)
class Answer:
    kind: str  # "solutions", "boolean" or "graph"
    body: bytes
    media_type: str


def types_for(media_type: str) -> tuple[str, str]:
    """The (solutions, graph) media types to answer in, given the one wanted: a query whose form
    was not what the caller expected still gets an answer in a sensible format."""
    solutions = media_type if media_type in SOLUTION_TYPES else SOLUTION_TYPES[0]
    graph = media_type if media_type in GRAPH_TYPES else GRAPH_TYPES[0]
    return solutions, graph


@runtime_checkable
class Engine(Protocol):
    """A read-only SPARQL dataset: the embedded store (``embedded.EmbeddedEngine``) or a remote
    SPARQL Protocol endpoint (``remote.RemoteEngine``)."""

    #: seconds a query may run when the caller gives no limit
    timeout: float

    async def query(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        media_type: str,
        timeout: float | None = None,
    ) -> Answer:
        """Run a query on the dataset (empty lists: the union of all graphs as the default graph,
        every named graph). Raises the exceptions above; never returns a partial answer."""
        ...

    def named_graphs(self) -> list[str]:
        """The dataset's named graphs, sorted (known once started)."""
        ...

    async def pairs(self, predicate: str) -> list[tuple[str, str]]:
        """Every (subject, object) of the dataset's triples with this predicate whose subject and
        object are IRIs, each at least once (for the index of the observations, built at start-up)."""
        ...

    def size(self) -> int:
        """How many quads the dataset holds (known once started)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
