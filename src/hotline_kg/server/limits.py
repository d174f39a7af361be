"""What one client may take, and what one connection may hold.

- ``Limiter``: per client, a token bucket of requests (``client_rate`` a second, bursts of
  ``client_burst``) and a count of its queries running in the engine (at most ``client_queries``);
  a refusal is ``TooMany``, answered 429 with ``Retry-After``. Memory is bounded: a client idle
  long enough for its bucket to be full again is forgotten (so is the least recent one past
  ``MAX_CLIENTS``), and a count that falls to zero is dropped.
- ``client_key``: who a request is from: its peer address (an IPv6 address by its /64, what one
  subscriber gets), as uvicorn gives it — the address in ``X-Forwarded-For`` only when the peer is
  one of the ``trusted_proxies`` (none by default: anyone could write that header).
- ``Metered``: the engine, counting each client's queries while they run (``CLIENT`` names the
  client of a request that carries a query of its own, to the endpoint or the query page;
  ``app.Front`` sets it). A query answered from the cache never reaches the engine, so it never
  counts; nor do the pages' own queries (a resource's description …), bounded by the request rate.
- ``guarded(settings)``: uvicorn's httptools protocol with what it lacks: a time limit for a
  request's headers (from the connection, or the request's first byte, to the end of its headers:
  408, or the connection just closed if nothing came) and for its body (the connection is closed;
  ``sparql`` answers 408 a moment before), and caps on the URL (414) and on the headers (431).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from hotline_kg import formats
from hotline_kg.server.engine import Answer, Engine
from hotline_kg.server.responses import SHARED_RAW, cache_control
from hotline_kg.server.settings import Settings

#: Clients remembered at most (a bucket is a few dozen bytes); past this the least recent goes.
MAX_CLIENTS = 100_000
#: Header fields a request may have (Apache's LimitRequestFields).
MAX_FIELDS = 100
#: Seconds a client is told to wait when it has too many queries running (one of them may end sooner).
QUERY_RETRY = 1
#: Seconds the connection is given beyond ``body_timeout``, for the endpoint's own 408 to go out first.
BODY_GRACE = 1
#: An IPv6 client is keyed by its network of this length: one subscriber's.
IPV6_PREFIX = 64

#: The client whose query the engine is asked (``None``: the server's own, e.g. a page's or at start-up).
CLIENT: ContextVar[str | None] = ContextVar("hotline_kg_client", default=None)


class TooMany(Exception):
    """A client over one of its limits: HTTP 429, with ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Limiter:
    """Per-client request rate (token bucket) and queries in flight; 0 turns either off."""

    def __init__(
        self,
        rate: float,
        burst: int,
        queries: int,
        clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self.queries = queries
        self.clients = clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at), oldest first
        self._running: dict[str, int] = {}

    @classmethod
    def of(cls, settings: Settings) -> Limiter:
        return cls(settings.client_rate, settings.client_burst, settings.client_queries)

    def admit(self, key: str) -> None:
        """Take one request from ``key``'s bucket; ``TooMany`` if it is empty."""
        if self.rate <= 0:
            return
        now = self.clock()
        self._forget_idle(now)
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        refused = tokens < 1
        self._buckets[key] = (tokens if refused else tokens - 1, now)
        if len(self._buckets) > self.clients:
            self._buckets.popitem(last=False)
        if refused:
            wait = max(1, math.ceil((1 - tokens) / self.rate))
            raise TooMany(
                f"too many requests from your address: at most {self.rate:g} a second "
                f"(bursts of {self.burst}); retry after {wait} s",
                wait,
            )

    def _forget_idle(self, now: float) -> None:
        """Drop the clients whose bucket is full again (they were last seen long enough ago)."""
        full = self.burst / self.rate
        while self._buckets:
            _, at = next(iter(self._buckets.values()))
            if now - at < full:
                break
            self._buckets.popitem(last=False)

    @contextmanager
    def running(self, key: str | None) -> Iterator[None]:
        """One more query of ``key`` while the block runs; ``TooMany`` if it already has its share."""
        if key is None or self.queries <= 0:
            yield
            return
        count = self._running.get(key, 0)
        if count >= self.queries:
            raise TooMany(
                f"too many queries at once from your address: at most {self.queries}; "
                f"retry after {QUERY_RETRY} s, or once one of them is answered",
                QUERY_RETRY,
            )
        self._running[key] = count + 1
        try:
            yield
        finally:
            left = self._running[key] - 1
            if left:
                self._running[key] = left
            else:
                del self._running[key]

    def tracked(self) -> tuple[int, int]:
        """How many clients have a bucket, and how many have queries running (for tests)."""
        return len(self._buckets), len(self._running)


def client_key(scope: MutableMapping[str, Any]) -> str:
    """Who a request is from: its peer's address (an IPv6 one by its /64)."""
    client = scope.get("client")
    host = client[0] if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


class Metered:
    """An engine whose queries count against their client's limit while they run."""

    def __init__(self, engine: Engine, limiter: Limiter) -> None:
        self.engine = engine
        self.limiter = limiter

    @property
    def timeout(self) -> float:
        return self.engine.timeout

    def counted(self) -> contextlib.AbstractContextManager[None]:
        """Work done for the current client's query outside the engine (its SERVICE calls),
        counted against its limit as the engine's work is."""
        return self.limiter.running(CLIENT.get())

    async def query(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        media_type: str,
        timeout: float | None = None,
    ) -> Answer:
        with self.limiter.running(CLIENT.get()):
            return await self.engine.query(text, default_graphs, named_graphs, media_type, timeout)

    def named_graphs(self) -> list[str]:
        return self.engine.named_graphs()

    def size(self) -> int:
        return self.engine.size()

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()


# --- the connection ------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised in a parser callback to stop reading a request that is over a cap."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with time limits on a request's headers and body and caps on
    the sizes of its URL and headers (httptools has none: it buffers whatever comes). The limits
    are class attributes, set by ``guarded``; 0 turns one off."""

    header_timeout: float = 0
    body_timeout: float = 0
    max_url: int = 0
    max_headers: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._in_headers = True  # reading a request line and headers (or waiting for the first)
        self._begun = False  # a byte of the current request has come
        self._head = 0  # bytes received while reading the headers
        self._url = 0
        self._fields = 0
        self._field_bytes = 0
        self._refusal: tuple[int, str] | None = None

    # the time limits

    def _arm(self, seconds: float, expired: Callable[[], None]) -> None:
        self._disarm()
        if seconds > 0:
            self._timer = self.loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._begun:  # part of a request came: say why it is dropped
            self._refuse_now(408, f"request headers not received within {self.header_timeout:g} s")
        else:
            self.transport.close()

    def _body_late(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection: request body not received within %g s", self.body_timeout)
            self.transport.close()

    # the parser's callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers, self._begun = True, True
        self._url = self._fields = self._field_bytes = 0
        if self._timer is None:  # the next request on a kept-alive connection: from its first byte
            self._arm(self.header_timeout, self._headers_late)

    def on_url(self, url: bytes) -> None:
        self._url += len(url)
        if self.max_url and self._url > self.max_url:
            self._refusal = (414, f"URL longer than {self.max_url} bytes: send a long query by POST")
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        self._field_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._fields > MAX_FIELDS:
            self._refusal = (431, f"more than {MAX_FIELDS} header fields")
            raise _Refused
        if self.max_headers and self._field_bytes > self.max_headers:
            self._refusal = (431, f"request headers larger than {self.max_headers} bytes")
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers, self._head = False, 0
        self._arm(self.body_timeout + BODY_GRACE if self.body_timeout > 0 else 0, self._body_late)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._begun = False
        super().on_message_complete()

    # the data

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._head += len(data)
        super().data_received(data)
        # a header still coming is buffered by httptools, whole, before any callback sees it
        cap = self.max_url + self.max_headers
        if self._in_headers and self.max_headers and self._head > cap and not self.transport.is_closing():
            self._refuse_now(431, f"request line and headers larger than {cap} bytes")

    def send_400_response(self, msg: str) -> None:
        """What uvicorn sends when the parser fails, which is also how a cap stops it."""
        status, message = self._refusal or (400, msg)
        self._refuse_now(status, message)

    def _refuse_now(self, status: int, message: str) -> None:
        self._disarm()
        self._in_headers = False
        body = (message + "\n").encode()
        head = [
            (b"content-type", formats.with_charset(formats.TEXT).encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", cache_control("never").encode()),
            (b"connection", b"close"),
            *SHARED_RAW,
        ]
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in head)
        self.transport.write(STATUS_LINE[status] + lines + b"\r\n" + body)
        self.transport.close()


def guarded(settings: Settings) -> type[GuardedProtocol]:
    """The protocol class to give uvicorn (``http=``), with the limits of ``settings``."""
    limits = {
        "header_timeout": settings.header_timeout,
        "body_timeout": settings.body_timeout,
        "max_url": settings.max_url,
        "max_headers": settings.max_headers,
    }
    return type("GuardedProtocol", (GuardedProtocol,), limits)
