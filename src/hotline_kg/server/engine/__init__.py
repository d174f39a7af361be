"""The store behind the server, behind one interface (``base.Engine``): the embedded pyoxigraph
store with killable workers (``embedded``; its input files: ``inputs``, its place in memory or on
disk: ``stores``, the worker processes: ``worker``) or any remote SPARQL Protocol endpoint
(``remote``); ``local`` starts and loads a real engine (Oxigraph server, Virtuoso) on this machine."""

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
from hotline_kg.server.engine.embedded import EmbeddedEngine
from hotline_kg.server.engine.inputs import load_store
from hotline_kg.server.engine.remote import RemoteEngine
from hotline_kg.server.engine.stores import ON_DISK_ABOVE, Loaded, open_store

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
