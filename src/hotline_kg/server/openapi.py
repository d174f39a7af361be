"""The server's OpenAPI description, ``/openapi.json``: every route, for clients and for API
fuzzers (schemathesis runs over it in the tests).

FastAPI describes the page routes from their signatures; what it cannot see is added here: the
SPARQL endpoint (a plain ASGI app in front of the pages, ``server.sparql``) and the query
parameters the page routes read from the request themselves (``PAGE_PARAMETERS``). The media
types come from the format registry (``formats``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from hotline_kg import formats
from hotline_kg.server import sparql


def _query_param(name: str, description: str, *, enum: list[str] | None = None, integer: bool = False) -> dict:
    schema: dict[str, Any] = {"type": "integer", "minimum": 1} if integer else {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _graph_params() -> list[dict]:
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"the protocol dataset: {what} (repeatable)",
            "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "style": "form",
            "explode": True,
        }
        for name, what in (("default-graph-uri", "a default graph"), ("named-graph-uri", "a named graph"))
    ]


_FORMAT = _query_param(
    "format", "the result's format, over Accept", enum=sorted({*formats.RESULT_PARAM, *formats.RESOURCE_PARAM})
)

#: Query parameters that page routes read themselves, by path.
PAGE_PARAMETERS: dict[str, list[dict]] = {
    "/search": [
        _query_param("q", "the words, code or notation to find"),
        _query_param("limit", "how many results at most", integer=True),
    ],
    "/query": [_query_param("query", "a SPARQL query to run and show as a table")],
    "/reports/{name}": [_query_param("format", "txt: the text itself, not a page", enum=["txt"])],
    "/{kind}": [_FORMAT, _query_param("sort", "the observation table's order")],
}
PAGE_PARAMETERS["/search.json"] = PAGE_PARAMETERS["/search.csv"] = PAGE_PARAMETERS["/search"]


#: What each page route answers with (FastAPI, not seeing it, would say JSON), by path.
_RESOURCE_TYPES = [*formats.RESOURCE_TYPES, formats.JSON, formats.SPARQL_CSV.media]
PAGE_TYPES: dict[str, list[str]] = {
    "/dumps/{name}": ["*/*"],  # each file as what it is
    "/.well-known/void": [formats.TURTLE.media],
    "/catalog": [formats.TURTLE.media],
    "/shapes": [formats.TURTLE.media],
    "/validation-report": [formats.TURTLE.media],
    "/reports/{name}": [formats.HTML, formats.TEXT],
    "/": [formats.HTML],
    "/index.json": [formats.JSON],
    "/index.csv": [formats.SPARQL_CSV.media],
    "/query": [formats.HTML],
    "/search": [formats.HTML],
    "/search.json": [formats.JSON],
    "/search.csv": [formats.SPARQL_CSV.media],
    "/{kind}": _RESOURCE_TYPES,
}


def _page_answers(path: str) -> dict[str, Any]:
    """The answers of a page route: what it gives, and every refusal the server may send instead."""
    text = {formats.TEXT: {"schema": {"type": "string"}}}
    page_or_text = {formats.HTML: {"schema": {"type": "string"}}, **text}
    answers: dict[str, Any] = {
        "200": {"description": "the page, file or data", "content": {m: {} for m in PAGE_TYPES.get(path, ["*/*"])}},
        "304": {"description": "not modified since the copy the client names (If-None-Match, If-Modified-Since)"},
        "400": {
            "description": "a parameter out of range or malformed (the query page: a refused query)",
            "content": page_or_text,
        },
        "404": {"description": "nothing here (a page for browsers, else text)", "content": page_or_text},
        "406": {"description": "no offered format is acceptable", "content": text},
        "408": {"description": "the request was not sent in time", "content": text},
        "413": {"description": "a request or answer over its limit", "content": page_or_text},
        "414": {"description": "a URL over its limit", "content": text},
        "429": {"description": "too many requests from this client", "content": text},
        "431": {"description": "header fields over their limit", "content": text},
        "503": {
            "description": "a query of the page ran out of time, or the engine is busy or down",
            "content": page_or_text,
        },
    }
    if path in ("/dumps/{name}", "/reports/{name}", "/.well-known/void", "/catalog", "/shapes"):
        answers["206"] = {"description": "the range asked for", "content": {"*/*": {}}}
        answers["416"] = {"description": "a range outside the file", "content": {"*/*": {}}}
    return answers


def _answers() -> dict[str, Any]:
    media = {m: {} for m in (*formats.SOLUTION_TYPES, *formats.GRAPH_TYPES)}
    text = {formats.TEXT: {"schema": {"type": "string"}}}
    return {
        "200": {"description": "the answer, or the Service Description without a query", "content": media},
        "400": {"description": "a malformed or refused query (an update, SERVICE, a foreign graph)", "content": text},
        "406": {"description": "no offered format is acceptable", "content": text},
        "413": {"description": "a query, body or result over its limit", "content": text},
        "415": {"description": "a POST body of another media type", "content": text},
        "429": {"description": "too many requests from this client", "content": text},
        "503": {"description": "the query ran out of time, or the engine is busy or down", "content": text},
    }


def _sparql_path() -> dict[str, Any]:
    query = _query_param("query", "the SPARQL query (without it: the Service Description)")
    get = {
        "summary": "Run a query (SPARQL Protocol, query via GET)",
        "operationId": "sparql_get",
        "parameters": [query, *_graph_params(), _FORMAT],
        "responses": _answers(),
    }
    post = {
        "summary": "Run a query (SPARQL Protocol, query via POST)",
        "operationId": "sparql_post",
        "parameters": [*_graph_params(), _FORMAT],
        "requestBody": {
            "required": True,
            "content": {
                formats.SPARQL_QUERY: {"schema": {"type": "string"}},
                formats.FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["query"],
                    }
                },
            },
        },
        "responses": _answers(),
    }
    return {"get": get, "post": post}


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description of every route of the server (made once, then kept by FastAPI)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title="hotline-kg",
        version=app.version,
        description="Beijing 12345 hotline reports as linked data: the SPARQL endpoint, pages, search and dumps.",
        routes=app.routes,
    )
    paths = doc.setdefault("paths", {})
    for path in (p for p in sparql.PATHS if not p.endswith("/")):
        paths[path] = _sparql_path()
    for path, operations in paths.items():
        if path not in sparql.PATHS:
            for operation in operations.values():
                operation["responses"] = {**operation.get("responses", {}), **_page_answers(path)}
    for path, params in PAGE_PARAMETERS.items():
        for operation in paths.get(path, {}).values():
            known = {p["name"] for p in operation.get("parameters", [])}
            operation.setdefault("parameters", []).extend(p for p in params if p["name"] not in known)
    app.openapi_schema = doc
    return doc
