"""Answers of a build are cached: GET answers carry an ETag and Cache-Control, If-None-Match
gives 304, `Cache-Control: no-cache` bypasses the cache, and a new build changes every key."""

import shutil

from conftest import in_process

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_etags_304_bypass_and_a_new_build(built, tmp_path):
    _, dist = built
    with in_process(dist=dist, store="memory") as site:
        first = site.get("/sparql", params={"query": QUERY})
        assert first.status_code == 200 and first.headers["x-cache"] == "miss"
        tag = first.headers["etag"]
        assert tag.startswith('"') and "max-age=" in first.headers["cache-control"]
        again = site.get("/sparql", params={"query": QUERY.replace(" ", "  ") + " # same query"})
        assert again.headers["etag"] == tag and again.headers["x-cache"] == "hit" and again.content == first.content
        assert site.get("/sparql", params={"query": QUERY}, headers={"If-None-Match": tag}).status_code == 304
        bypass = site.get("/sparql", params={"query": QUERY}, headers={"Cache-Control": "no-cache"})
        assert bypass.status_code == 200 and bypass.headers["x-cache"] == "miss" and bypass.content == first.content
        csv = site.get("/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"})
        assert csv.headers["etag"] != tag
        post = site.post("/sparql", data={"query": QUERY})
        assert post.status_code == 200 and "no-store" in post.headers["cache-control"] and "etag" not in post.headers
        page = site.get("/query", params={"query": QUERY + " # the query page"})  # the page shares the cache
        assert page.status_code == 200
        assert site.get("/sparql", params={"query": QUERY + " # the query page"}).headers["x-cache"] == "hit"
    rebuilt = tmp_path / "dist"
    shutil.copytree(dist, rebuilt)
    (rebuilt / "SHA256SUMS").write_bytes((rebuilt / "SHA256SUMS").read_bytes() + b"\n")
    with in_process(dist=rebuilt, store="memory") as site:
        assert site.get("/sparql", params={"query": QUERY}).headers["etag"] != tag
