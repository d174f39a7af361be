"""Answers of a build are cached: GET answers carry an ETag and Cache-Control, If-None-Match
gives 304, `Cache-Control: no-cache` bypasses the cache, and a new build changes every key."""

import shutil

import httpx
import pytest

from serving import start, stop

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.mark.slow
def test_etags_304_bypass_and_a_new_build(built, tmp_path):
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "2", "--store", "memory")
    try:
        first = httpx.get(url + "/sparql", params={"query": QUERY})
        assert first.status_code == 200 and first.headers["x-cache"] == "miss"
        tag = first.headers["etag"]
        assert tag.startswith('"') and "max-age=" in first.headers["cache-control"]
        again = httpx.get(url + "/sparql", params={"query": QUERY.replace(" ", "  ") + " # same query"})
        assert again.headers["etag"] == tag and again.headers["x-cache"] == "hit" and again.content == first.content
        assert httpx.get(url + "/sparql", params={"query": QUERY}, headers={"If-None-Match": tag}).status_code == 304
        bypass = httpx.get(url + "/sparql", params={"query": QUERY}, headers={"Cache-Control": "no-cache"})
        assert bypass.status_code == 200 and bypass.headers["x-cache"] == "miss" and bypass.content == first.content
        csv = httpx.get(url + "/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"})
        assert csv.headers["etag"] != tag
        post = httpx.post(url + "/sparql", data={"query": QUERY})
        assert post.status_code == 200 and "no-store" in post.headers["cache-control"] and "etag" not in post.headers
    finally:
        stop(proc)
    rebuilt = tmp_path / "dist"
    shutil.copytree(dist, rebuilt)
    (rebuilt / "SHA256SUMS").write_bytes((rebuilt / "SHA256SUMS").read_bytes() + b"\n")
    url, proc = start("--dist", str(rebuilt), "--workers", "2", "--store", "memory")
    try:
        assert httpx.get(url + "/sparql", params={"query": QUERY}).headers["etag"] != tag
    finally:
        stop(proc)
