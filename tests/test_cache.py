"""The answer cache: keys that name everything an answer depends on, a byte budget, ETags."""

from hotline_kg.server.cache import AnswerCache, Cached, etag, key, matches, normalise


def test_layout_and_comments_do_not_change_the_key():
    a = "SELECT ?s WHERE {\n  ?s ?p ?o  # any triple\n}"
    b = "SELECT ?s WHERE { ?s ?p ?o }"
    assert normalise(a) == normalise(b)
    assert key("b1", a, [], [], "application/sparql-results+json") == key(
        "b1", b, [], [], "application/sparql-results+json"
    )


def test_whitespace_inside_literals_and_iris_counts():
    assert normalise('SELECT * { ?s ?p "a  b" }') != normalise('SELECT * { ?s ?p "a b" }')
    assert normalise("SELECT * { ?s ?p '''x\n  # not a comment''' }").endswith("'''x\n  # not a comment''' }")
    assert "#frag" in normalise("SELECT * { ?s ?p <http://example.org/a#frag> }")


def test_build_dataset_and_media_type_are_in_the_key():
    q = "ASK {}"
    base = key("b1", q, [], [], "application/sparql-results+json")
    assert key("b2", q, [], [], "application/sparql-results+json") != base
    assert key("b1", q, ["http://g/1"], [], "application/sparql-results+json") != base
    assert key("b1", q, [], ["http://g/1"], "application/sparql-results+json") != base
    assert key("b1", q, [], [], "text/csv") != base
    assert key("b1", q, ["http://g/1", "http://g/2"], [], "x") == key("b1", q, ["http://g/2", "http://g/1"], [], "x")


def test_the_budget_drops_the_least_recently_used():
    cache = AnswerCache(budget=10)
    cache.put("a", Cached(b"1234", "text/plain"))
    cache.put("b", Cached(b"1234", "text/plain"))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", Cached(b"1234", "text/plain"))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 8 and len(cache) == 2
    cache.put("huge", Cached(b"x" * 11, "text/plain"))
    assert cache.get("huge") is None and len(cache) == 2
    assert cache.hits == 3 and cache.misses == 2


def test_if_none_match():
    tag = etag("abc")
    assert matches(tag, tag) and matches(f'"x", {tag}', tag) and matches(f"W/{tag}", tag) and matches("*", tag)
    assert not matches(None, tag) and not matches('"other"', tag)
