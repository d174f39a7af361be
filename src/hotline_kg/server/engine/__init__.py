"""The store behind the server, behind one interface (``base.Engine``): the embedded pyoxigraph
store with killable workers (``embedded``) or any remote SPARQL Protocol endpoint (``remote``)."""

from hotline_kg.server.engine.base import (
    GRAPH_TYPES,
    SOLUTION_TYPES,
    Answer,
    Busy,
    Engine,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    TooManyResults,
    Unavailable,
)
from hotline_kg.server.engine.embedded import ON_DISK_ABOVE, EmbeddedEngine, Loaded, load_store, open_store
from hotline_kg.server.engine.remote import RemoteEngine

__all__ = [
    "GRAPH_TYPES",
    "ON_DISK_ABOVE",
    "SOLUTION_TYPES",
    "Answer",
    "Busy",
    "EmbeddedEngine",
    "Engine",
    "Loaded",
    "QueryFailed",
    "QuerySyntaxError",
    "QueryTimeout",
    "RemoteEngine",
    "TooManyResults",
    "Unavailable",
    "load_store",
    "open_store",
]
