"""Search: the index (``hotline_kg.server.search``) on a few hand-made rows — ranking, pinyin,
codes, English labels, width and case — and ``/search``, ``/search.json``, ``/search.csv`` on the
server over the built graph."""

import asyncio
import csv
import gzip
import io
import json
import statistics
import time

import pyoxigraph as ox
import pytest

from conftest import HL, SITE
from hotline_kg.server import search
from hotline_kg.server.engine import QueryTimeout
from hotline_kg.server.search import Row, build_index, normalize
from hotline_kg.server.views import search as search_view
from hotline_kg.server.views.search import IndexNotBuilt, kind, rows

ID = SITE.base + "id/"
CHAOYANG = ID + "district/110105"
PROPERTY = ID + "category/property-management"

ROWS = [
    Row(
        ID + "topic/2022/food-safety/district-110105",
        "TopicHandling",
        "餐饮行业食品安全：朝阳区",
        "Food safety: Chaoyang District",
    ),
    Row(ID + "category/property-management/property-fees", "Subcategory", "物业收费问题", "Property fees"),
    Row(ID + "district/110108", "District", "海淀区", "Haidian District", "110108"),
    Row(PROPERTY, "Category", "物业管理", "Property management"),
    Row(CHAOYANG, "District", "朝阳区", "Chaoyang District", "110105"),
    Row(ID + "handler/chaoyang-park", "Handler", "朝阳公园", "Chaoyang Park"),
    Row(ID + "unit/ten-thousand-cases", "Unit", "万件", "ten thousand cases", "万件"),
    Row(
        ID + "district/110105/street",
        "DistrictBody",
        "朝阳区街道乡镇",
        "Chaoyang District: streets",
        "",
        ("朝阳街乡镇",),
    ),
    Row(ID + "year/2022", "Year", "2022年", "2022"),
    Row(ID + "thing/new-kind", "BrandNewKind", "新代码", "A new code", "X-1"),
]


@pytest.fixture(scope="module")
def index():
    return build_index(ROWS)


def iris(found):
    return [hit.iri for hit in found]


# --- the index ---------------------------------------------------------------------------------------


def test_pinyin_is_installed():
    assert search.PINYIN_AVAILABLE, "pypinyin is a declared dependency"


def test_exact_code_comes_first(index):
    found = index.search("110105")
    assert found[0].iri == CHAOYANG
    assert (found[0].score, found[0].match, found[0].code) == (search.CODE, "code", "110105")
    # the topic handled in Chaoyang is found too, by its IRI's last segment, below
    assert ROWS[0].iri in iris(found)[1:]


def test_ranking_exact_label_then_prefix_then_word_then_substring(index):
    found = index.search("朝阳区")
    assert [h.match for h in found][:3] == ["label", "prefix", "word"]
    assert iris(found)[:3] == [CHAOYANG, ID + "district/110105/street", ROWS[0].iri]
    scores = [h.score for h in found]
    assert scores == sorted(scores, reverse=True)
    # a prefix of a label before a word inside one, before a substring
    assert [h.match for h in index.search("阳区")] == ["substring"] * 3


def test_ties_are_broken_by_kind_then_label(index):
    found = index.search("朝阳")
    assert all(h.match == "prefix" for h in found[:3])
    assert [h.kind for h in found[:3]] == ["District", "DistrictBody", "Handler"]
    property_ = index.search("物业")
    assert [h.kind for h in property_] == ["Category", "Subcategory"]
    # an unknown kind ranks after the known ones, whatever its name
    assert search._kind_rank("BrandNewKind") > search._kind_rank("Concept")


def test_english_labels_words_and_case(index):
    for q in ("property", "Property", "PROPERTY"):
        found = index.search(q)
        assert iris(found) == [PROPERTY, ROWS[1].iri], q
    assert index.search("property management")[0].match == "label"
    assert iris(index.search("fees")) == [ROWS[1].iri]  # a word inside a label
    assert iris(index.search("haidian"))[0] == ID + "district/110108"


def test_width_and_case_insensitive(index):
    assert index.search("１１０１０５")[0].iri == CHAOYANG  # full-width digits
    assert index.search("ＣＨＡＯＹＡＮＧ")[0].iri == CHAOYANG  # full-width letters
    assert index.search("  chaoyang\tdistrict ")[0].match == "label"
    assert normalize("Ａ　Ｂ\u3000c") == "a b c"


@pytest.mark.parametrize("q", ["chaoyang", "Chaoyang", "chao yang", "chaoyangqu", "chao yang qu", "cyq", "cy"])
def test_pinyin(index, q):
    found = index.search(q)
    assert found[0].iri == CHAOYANG, [(h.label_zh, h.match) for h in found]


def test_pinyin_matches(index):
    assert index.search("chaoyangqu")[0].match == "pinyin"
    assert index.search("cyq")[0].match == "pinyin"
    assert index.search("wuye")[0].iri == PROPERTY  # 物业管理 has no English word "wuye"
    assert index.search("wuye")[0].match == "pinyin prefix"
    assert index.search("guanli")[0].match == "pinyin substring"  # 物业管理, from a syllable
    assert index.search("angqu") == []  # not from the start of a syllable
    assert index.search("jiexiangzhen")[0].iri == ID + "district/110105/street"  # an other label's pinyin


def test_several_words_anywhere(index):
    assert iris(index.search("chaoyang 食品")) == [ROWS[0].iri]
    assert index.search("chaoyang 食品")[0].match == "words"
    assert iris(index.search("safety chaoyang")) == [ROWS[0].iri]


def test_codes_that_are_not_numbers(index):
    assert index.search("x-1")[0].label_zh == "新代码"
    assert index.search("万件")[0].match == "code"
    assert index.search("2022")[0].iri == ID + "year/2022"


def test_no_match_and_empty(index):
    assert index.search("zzzz") == []
    assert index.search("<script>alert(1)</script>") == []
    assert index.search("") == []
    assert index.search("   ") == []
    assert index.search("朝阳", limit=0) == []
    assert len(index.search("a", limit=2)) == 2


def test_rows_from_the_graph_and_kinds():
    binding = {
        "s": {"type": "uri", "value": CHAOYANG},
        "values": {
            "type": "literal",
            "value": "\n".join(
                [
                    "http://www.w3.org/2004/02/skos/core#prefLabel\tzh\t朝阳区",
                    "http://www.w3.org/2004/02/skos/core#prefLabel\ten\tChaoyang District",
                    "http://www.w3.org/2000/01/rdf-schema#label\tzh\t朝阳",
                    "http://www.w3.org/2004/02/skos/core#notation\t\t110105",
                    f"{HL}gbCode\t\t110105",
                    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type\t\thttp://www.w3.org/2004/02/skos/core#Concept",
                    f"http://www.w3.org/1999/02/22-rdf-syntax-ns#type\t\t{HL}District",
                ]
            ),
        },
    }
    (row,) = rows([binding])
    assert row == Row(CHAOYANG, "District", "朝阳区", "Chaoyang District", "110105", ("朝阳",))
    assert kind([f"{HL}Handler", f"{HL}CityDepartment", "http://www.w3.org/ns/org#Organization"]) == "CityDepartment"
    assert kind([f"{HL}Gadget", "http://www.w3.org/2004/02/skos/core#Concept"]) == "Concept"
    assert kind([f"{HL}Gadget", "http://example.org/Other"]) == "Gadget"
    assert kind([]) == ""


def test_search_is_fast_on_a_few_thousand_codes():
    many = [
        Row(f"{ID}code/{i}", ("District", "Category", "Topic")[i % 3], f"代码{i}号物业", f"Code number {i}", str(i))
        for i in range(3000)
    ]
    big = build_index([*ROWS, *many])
    assert big.search("110105")[0].iri == CHAOYANG
    times = []
    for q in ("chaoyang", "朝阳", "110105", "物业", "property", "cy", "code 12"):
        began = time.perf_counter()
        big.search(q)
        times.append(time.perf_counter() - began)
    median, most = statistics.median(times) * 1e6, max(times) * 1e6
    print(f"\nsearch over {len(big)} rows: median {median:.0f} µs, max {most:.0f} µs")


# --- the server --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(client):
    """The search routes, in this process."""
    return client


def results(server, q, **params):
    r = server.get("/search.json", params={"q": q, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


@pytest.mark.parametrize("q", ["chaoyang", "Chaoyang", "朝阳", "110105", "朝阳区", "chao yang", "ｃｈａｏｙａｎｇ"])
def test_server_finds_chaoyang_first(server, q):
    data = results(server, q)
    assert data["query"] == q
    assert data["count"] == len(data["results"]) > 0
    first = data["results"][0]
    assert (first["label_zh"], first["label_en"], first["kind"]) == ("朝阳区", "Chaoyang District", "District")
    assert (first["iri"], first["href"], first["code"]) == (CHAOYANG, "/id/district/110105", "110105")
    page = server.get("/search", params={"q": q})
    assert page.status_code == 200
    assert page.text.index('href="/id/district/110105"') < page.text.index("</table>")
    assert server.get(first["href"], headers={"Accept": "text/html"}).status_code == 200


@pytest.mark.parametrize("q", ["物业", "property", "Property management", "wuye"])
def test_server_finds_property_management(server, q):
    data = results(server, q)
    assert PROPERTY in [r["iri"] for r in data["results"][:3]], data
    assert data["results"][0]["kind"] == "Category"


def test_every_kind_of_code_is_indexed(server):
    kinds = {r["kind"] for r in results(server, "2022", limit=200)["results"]}
    assert {"Year", "Month", "Report", "DataSet"} <= kinds
    assert results(server, "万件")["results"][0]["kind"] == "Unit"
    assert results(server, "经开区管委会")["results"][0]["kind"] == "CityDepartment"
    assert results(server, "开发区管委会")["results"][0]["match"] == "label"  # an other label
    assert not any(r["iri"].startswith(ID + "obs/") for r in results(server, "2024", limit=200)["results"])


def test_twins_agree_with_the_page_and_are_linked(server):
    q = "物业"
    page = server.get("/search", params={"q": q})
    assert page.headers["content-type"].startswith("text/html")
    link = page.headers["link"]
    assert '</search.json?q=%E7%89%A9%E4%B8%9A>; rel="alternate"; type="application/json"' in link
    assert '</search.csv?q=%E7%89%A9%E4%B8%9A>; rel="alternate"; type="text/csv"' in link
    assert 'href="/search.json?q=%E7%89%A9%E4%B8%9A"' in page.text
    assert 'href="/search.csv?q=%E7%89%A9%E4%B8%9A"' in page.text
    data = results(server, q)
    table = page.text[page.text.index("<table>") : page.text.index("</table>")]
    hrefs = [part.split('"', 1)[0] for part in table.split('<a href="')[1:]]
    assert hrefs == [r["href"] for r in data["results"]]
    for r in data["results"]:
        assert r["label_zh"] in table and r["label_en"].replace("'", "&#39;") in table
    got = server.get("/search.csv", params={"q": q})
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.text.startswith("iri,href,label_zh,label_en,kind,code,score,match\r\n")
    table_rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [{**r, "score": int(r["score"])} for r in table_rows] == data["results"]


def test_limit(server):
    assert results(server, "区", limit=3)["count"] == 3
    assert results(server, "区", limit=10000)["count"] <= 200
    for bad in ("0", "-1", "many"):
        r = server.get("/search.json", params={"q": "区", "limit": bad})
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")


def test_empty_query_gives_the_box(server):
    for params in ({}, {"q": ""}, {"q": "   "}):
        page = server.get("/search", params=params)
        assert page.status_code == 200
        assert '<input type="search" name="q"' in page.text
        assert "<table>" not in page.text
    assert results(server, "") == {"query": "", "count": 0, "results": []}
    assert server.get("/search.csv").text == "iri,href,label_zh,label_en,kind,code,score,match\r\n"


def test_nothing_found(server):
    page = server.get("/search", params={"q": "zzzzqqq"})
    assert page.status_code == 200 and "Nothing found" in page.text
    assert results(server, "zzzzqqq")["count"] == 0


def test_a_query_too_long_is_refused(server):
    for path in ("/search", "/search.json", "/search.csv"):
        r = server.get(path, params={"q": "朝" * 201})
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/plain")
        assert "201 characters" in r.text and "200" in r.text
    assert server.get("/search", params={"q": "朝" * 200}).status_code == 200


def test_a_query_is_escaped(server):
    q = '<script>alert("x")</script>'
    page = server.get("/search", params={"q": q})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert results(server, q)["query"] == q  # JSON carries it as data


def test_every_page_has_the_search_box(server):
    box = '<form action="/search" role="search"><input type="search" name="q"'
    for path in ("/", "/query", "/id/district/110105", "/search", "/no/such/page"):
        page = server.get(path, headers={"Accept": "text/html"})
        assert box in page.text, path


def test_head(server):
    r = server.head("/search", params={"q": "朝阳"})
    assert r.status_code == 200 and r.headers["link"]


@pytest.mark.slow
def test_search_time_on_the_server(server):
    """The time the index takes, as the server reports it (Server-Timing): printed, not asserted."""
    queries = ["chaoyang", "Chaoyang", "朝阳", "110105", "物业", "property", "cy", "haidian", "2022", "区", "a"]
    times = []
    for _ in range(20):
        for q in queries:
            timing = server.get("/search.json", params={"q": q}).headers["server-timing"]
            times.append(float(timing.split("dur=")[1]) * 1000)
    print(
        f"\nsearch on the server, {len(times)} searches of {len(queries)} queries: "
        f"median {statistics.median(times):.0f} µs, max {max(times):.0f} µs"
    )


def test_the_index_holds_every_labelled_resource_but_observations(server, built):
    """The index is read by kind (the classes the data declares, the code lists, data sets and
    agents), never over the observations: it still holds every labelled resource of the dump's
    /id/ space but observations, as the dump says (read here on its own)."""
    _, dist = built
    store = ox.Store()
    store.bulk_load(gzip.decompress((dist / "hotline.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    label = "<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel>"
    held = store.query(
        f"SELECT DISTINCT ?s {{ ?s {label} ?l FILTER(STRSTARTS(STR(?s), {json.dumps(ID)})) "
        "FILTER NOT EXISTS { ?s a <http://purl.org/linked-data/cube#Observation> } }",
        use_default_graph_as_union=True,
    )
    want = {row["s"].value for row in held}
    assert len(want) > 100
    assert {row.iri for row in server.app.state.search.rows} == want


def test_an_index_that_cannot_be_built_is_an_error():
    """An engine that does not answer stops the start (the server does not serve an empty search)."""

    class Failing:
        timeout = 1.0

        async def query(self, *_: object, **__: object) -> None:
            raise QueryTimeout("the query ran longer than 1 s and was stopped")

    with pytest.raises(IndexNotBuilt, match="search index could not be built: the query ran longer"):
        asyncio.run(search_view.index(Failing(), SITE.base))
