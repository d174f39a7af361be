"""The static site (``hotline-kg site``, ``hotline_kg.site``): written from the server's own pages,
served by nginx with the configuration it writes and by ``python -m http.server`` with none.

- its pages are the server's pages (a sample, path by path, with the in-process app), its twins
  the server's twins (the JSON and CSV ones whole);
- the search of the static site (``static/search-index.js``, under Node.js) ranks as the server's;
- behind nginx and Apache httpd, each with the configuration the site holds, with curl: each
  kind of IRI gives Turtle, JSON-LD, N-Triples or RDF/XML by Accept, and a browser the page; the
  w3id.org rules, in an Apache, redirect each IRI to its form on the site;
- behind nginx and behind ``python -m http.server``, in Chromium (``tests/js/site.test.mjs``): the
  reader's click-through, the searches, every example query against the server's ``/sparql``,
  a runaway query stopped, the row limit, nothing from another host, no script error or CSP
  violation;
- a site that cannot be written says why and leaves the last one as it was.

Needs node, ``npm ci --prefix web`` (Oxigraph's WebAssembly) and ``npm ci --prefix tests/js``
(``make test`` runs both), curl, nginx, Apache httpd and Debian's chromium (.ci/run installs
them); a missing one fails the test."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from balancer import Nginx, tool, wait_for
from hotline_kg import formats
from hotline_kg.site import paths
from serving import free_port, start, stop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
OXIGRAPH_JS = ROOT / "web" / "node_modules" / "oxigraph"
JS = ROOT / "tests" / "js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: The browser's time limit the test site is written with (seconds): a runaway query waits for it.
BROWSER_TIMEOUT = 3
#: Where the test site says it is published (the w3id.org rules point there).
SITE_URL = "https://data.example.org/hotline-kg/"


def run_site(dist: Path, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "site", "--dist", str(dist), "--site-dir", str(out), *more],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")
def site(built: tuple[object, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static site of the project's build, written once by `hotline-kg site`."""
    if not (OXIGRAPH_JS / "web_bg.wasm").is_file():
        pytest.fail("the npm package oxigraph is not installed: run `npm ci --prefix web` (or `make test`)")
    _, dist = built
    out = tmp_path_factory.mktemp("site") / "site"
    done = run_site(dist, out, "--timeout", str(BROWSER_TIMEOUT), "--site-url", SITE_URL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}/: "), done.stdout
    return out


def server_page(client: Any, path: str) -> httpx.Response:
    response = client.get(path, headers={"Accept": formats.HTML})
    assert response.status_code == 200, path
    return response


def static_of(site: Path, path: str) -> str:
    """The static page of ``path``, without the policy each static page carries in a <meta>."""
    text = (site / paths.page_file(path)).read_text(encoding="utf-8")
    lines = text.split("\n")
    meta = [line for line in lines if line.startswith('<meta http-equiv="Content-Security-Policy"')]
    assert len(meta) == 1, f"{path}: the static page carries its policy once"
    return "\n".join(line for line in lines if line not in meta)


def as_written(site: Path, client_html: str, path: str) -> str:
    """The server's page as the site writes it: each link to a page with a query that the site
    holds (``/p/<key>.html``) rewritten to it."""
    held = {
        link: formats.HTML
        for link in paths.links(client_html, path)
        if link[1] and (site / paths.file_for(*link, formats.HTML)).is_file()
    }
    return paths.rewrite_links(client_html, path, held)


def test_the_static_pages_are_the_servers_pages(site: Path, client: Any) -> None:
    resources = sorted(p.parent.relative_to(site).as_posix() for p in (site / "id").rglob("index.html"))
    assert len(resources) > 300, "every resource of the data has a page"
    sample = ["/", "/def/hotline", "/id/district/110105", "/id/year/2024"]
    sample += ["/" + p for p in random.Random(22).sample(resources, 40)]
    for path in sample:
        served = server_page(client, path).text
        assert static_of(site, path) == as_written(site, served, path), f"{path}: the static page is not the server's"
    rewritten = [p for p in sample if "/p/" in static_of(site, p)]
    assert rewritten, "a page of the sample links a list's next page or a filter, at /p/"
    for path in rewritten:  # each /p/ page is the server's answer to the link it replaces
        served = server_page(client, path).text
        for link in paths.links(served, path):
            if link[1] and link[0] not in paths.BROWSER_PATHS:
                file = paths.file_for(*link, formats.HTML)
                linked = server_page(client, f"{link[0]}?{link[1]}").text
                written = (site / file).read_text(encoding="utf-8").split("\n")
                assert [x for x in written if "Content-Security-Policy" not in x] == as_written(
                    site, linked, link[0]
                ).split("\n"), f"{file}: not the server's {link[0]}?{link[1]}"


def test_the_twins_are_the_servers(site: Path, client: Any) -> None:
    for path in ("/id/district/110105", "/id/category/property-management", "/def/hotline"):
        for ending, media in formats.RESOURCE_ENDINGS.items():
            served = client.get(path + ending)
            assert served.status_code == 200
            assert served.headers["content-type"].split(";")[0] == media
            assert (site / (path.lstrip("/") + ending)).read_bytes() == served.content, path + ending
    # a list of several pages on the server is one whole table in the site
    path = "/id/year/2024"
    rows, url = [], path + ".json"
    while url:
        page = client.get(url).json()
        rows += page["observations"]
        url = page["next"]
    whole = json.loads((site / "id/year/2024.json").read_text(encoding="utf-8"))
    assert len(rows) > 50, "the year's list has more than one page on the server"
    assert whole["observations"] == rows and whole["next"] is None
    csv_rows = (site / "id/year/2024.csv").read_bytes().decode().split("\r\n")
    assert csv_rows[0] == client.get(path + ".csv").text.split("\r\n")[0]
    assert len([r for r in csv_rows[1:] if r]) == len(rows)


def test_the_site_holds_the_dumps_the_void_and_the_checksums(site: Path, built: tuple[object, Path]) -> None:
    _, dist = built
    sums = (dist / "SHA256SUMS").read_text()
    assert (site / "dumps" / "SHA256SUMS").read_text() == sums
    for line in sums.splitlines():
        name = line.split("  ", 1)[1]
        assert (site / "dumps" / name).read_bytes() == (dist / name).read_bytes(), name
    assert (site / ".well-known" / "void").read_bytes() == (dist / "void.ttl").read_bytes()
    assert (site / "404.html").read_text().count("404") >= 1
    assert (site / "static" / "oxigraph" / "web_bg.wasm").read_bytes()[:4] == b"\0asm"
    assert f"RewriteRule ^(.*)$ {SITE_URL}$1 [R=303,L]" in (site / "_hosting" / "w3id.htaccess").read_text()


def node(script: str, *args: str, stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess[str]:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: install Node.js (20 or later)")
    return subprocess.run(
        [found, str(JS / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "CHROMIUM": CHROMIUM},
    )


def test_the_site_searches_as_the_server_does(site: Path, client: Any) -> None:
    index = json.loads((site / "search-index.json").read_text(encoding="utf-8"))
    rows = index["rows"]
    words = [w for r in rows for w in (r[2][:2], r[3].split(" ")[0], r[4], r[2][1:4]) if w]
    queries = ["chaoyang", "110105", "朝阳", "cyq", "chao yang", "物业", "district", "1101", "ZHU", "２０２４"]
    queries += random.Random(5).sample(words, 120)
    expected = {q: client.get("/search.json", params={"q": q}).json()["results"] for q in queries}
    done = node("search.test.mjs", str(site / "search-index.json"), stdin=json.dumps(expected))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(expected)} searches" in done.stdout


# --- behind web servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx serving the site with the configuration `hotline-kg site` wrote (its port changed)."""
    folder = tmp_path_factory.mktemp("nginx")
    conf = (site / "_hosting" / "nginx.conf").read_text()
    server = Nginx(conf, folder, "listen 8080;", "/", "dist/site/_hosting/nginx.conf")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def http_server(site: Path) -> Iterator[str]:
    """`python -m http.server` over the site: a host with no configuration at all."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 10, "python -m http.server answering")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(built: tuple[object, Path]) -> Iterator[str]:
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "2", "--client-rate", "0")
    yield url
    stop(proc)


#: One IRI of each kind, by its path.
KINDS = (
    "/id/district/110105",
    "/id/category/property-management",
    "/id/year/2024",
    "/id/dataset/2024",
    "/def/hotline",
)


def curl(url: str, accept: str | None) -> tuple[int, str, str]:
    """(status, Content-Type, body) of a GET by curl (no redirect followed)."""
    args = [tool("curl"), "-s", "-o", "-", "-w", "\n%{http_code} %{content_type}", url]
    if accept is not None:
        args += ["-H", f"Accept: {accept}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
    body, _, tail = out.rpartition("\n")
    status, _, media = tail.partition(" ")
    return int(status), media, body


class Apache:
    """Apache httpd over a folder (``AllowOverride All``: its ``.htaccess`` files apply), on a free
    port, with only the modules the site's ``.htaccess`` names. The folder is a copy in a place
    Apache's own user can read (it does not serve pages as root)."""

    MODULES = ("mpm_event", "authz_core", "mime", "dir", "rewrite", "headers")

    def __init__(self, root: Path) -> None:
        binary = tool("apache2")
        self.folder = Path(tempfile.mkdtemp(prefix="hotline-kg-apache-"))
        self.folder.chmod(0o755)
        self.root = self.folder / "root"
        shutil.copytree(root, self.root)
        for folder, _, files in os.walk(self.root):  # a copy of a test's private folder is private too
            Path(folder).chmod(0o755)
            for name in files:
                (Path(folder) / name).chmod(0o644)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        modules = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n" for m in self.MODULES)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        conf = self.folder / "httpd.conf"
        conf.write_text(
            f"{user}ServerRoot {self.folder}\nListen 127.0.0.1:{self.port}\nServerName localhost\n"
            f"PidFile {self.folder / 'httpd.pid'}\nErrorLog {self.folder / 'error.log'}\n{modules}"
            f"TypesConfig /etc/mime.types\nDocumentRoot {self.root}\nDirectoryIndex index.html\n"
            f"<Directory {self.root}>\n    AllowOverride All\n    Require all granted\n</Directory>\n"
        )
        self.args = [binary, "-f", str(conf)]
        done = subprocess.run([*self.args, "-k", "start"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr

        def up() -> bool:
            try:
                httpx.get(self.url + "/", timeout=1)
                return True
            except httpx.HTTPError:
                return False

        wait_for(up, 10, "Apache answering")

    def log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        subprocess.run([*self.args, "-k", "stop"], capture_output=True, check=False)
        wait_for(lambda: not (self.folder / "httpd.pid").exists(), 10, "Apache stopping")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def apache(site: Path) -> Iterator[str]:
    """Apache httpd serving the site, with the .htaccess `hotline-kg site` wrote at its root."""
    server = Apache(site)
    yield server.url
    server.stop()


@pytest.mark.parametrize("host", ["nginx", "apache"])
def test_each_configured_host_negotiates_each_kind_of_iri(
    host: str, request: pytest.FixtureRequest, site: Path
) -> None:
    url = request.getfixturevalue(host)
    observation = next((site / "id" / "obs").rglob("*.ttl")).relative_to(site).as_posix().removesuffix(".ttl")
    for path in (*KINDS, "/" + observation):
        for ending, media in formats.RESOURCE_ENDINGS.items():
            status, got, body = curl(url + path, media)
            assert (status, got.split(";")[0]) == (200, media), f"{path} as {media}"
            assert body == (site / (path.lstrip("/") + ending)).read_text(encoding="utf-8"), f"{path} as {media}"
        for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", None, "*/*", "text/turtle;q=0.5, text/html"):
            status, got, body = curl(url + path, accept)
            assert (status, got.split(";")[0]) == (200, formats.HTML), f"{path} with Accept {accept}"
            assert "<!doctype html>" in body
    status, got, body = curl(url + "/id/nothing-here", "text/turtle")
    assert status == 404 and "404" in body
    for path, media in (("/catalog", formats.TURTLE.media), ("/dumps/SHA256SUMS", formats.TEXT)):
        status, got, _ = curl(url + path, None)
        assert (status, got.split(";")[0]) == (200, media), path
    headers = httpx.get(url + "/id/district/110105").headers
    assert headers["vary"] == "Accept" and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'wasm-unsafe-eval'" not in headers["content-security-policy"]
    for path in ("/query", "/query/", "/static/sparql-worker.js"):
        assert "'wasm-unsafe-eval'" in httpx.get(url + path).headers["content-security-policy"], path


def test_the_w3id_rules_redirect_each_iri_to_its_form_on_the_site(site: Path, tmp_path: Path) -> None:
    """w3id.htaccess at hotline-kg/ of an Apache, as on w3id.org: 303 to the site, by Accept."""
    (tmp_path / "hotline-kg").mkdir()
    shutil.copy(site / "_hosting" / "w3id.htaccess", tmp_path / "hotline-kg" / ".htaccess")
    w3id = Apache(tmp_path)
    try:
        for path in KINDS:
            for ending, media in (*formats.RESOURCE_ENDINGS.items(), ("", "text/html"), ("", None)):
                response = httpx.get(w3id.url + "/hotline-kg" + path, headers={"Accept": media} if media else {})
                assert response.status_code == 303, (path, media, w3id.log())
                assert response.headers["location"] == SITE_URL + path.lstrip("/") + ending, (path, media)
    finally:
        w3id.stop()


def test_an_unconfigured_host_answers_every_iri_with_its_page(http_server: str) -> None:
    for path in KINDS:
        response = httpx.get(http_server + path, follow_redirects=True, headers={"Accept": "text/turtle"})
        assert response.status_code == 200 and response.headers["content-type"].startswith(formats.HTML), path
        assert f'<link rel="alternate" type="text/turtle" href="{path}.ttl">' in response.text
        assert httpx.get(http_server + path + ".ttl").status_code == 200


@pytest.mark.browser
@pytest.mark.parametrize("host", ["nginx", "http_server"])
def test_the_static_site_in_chromium(host: str, request: pytest.FixtureRequest, server: str, tmp_path: Path) -> None:
    url = request.getfixturevalue(host)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"chromium is not installed at {CHROMIUM}: `apt-get install chromium` (.ci/run does it)")
    if not (JS / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run `npm ci --prefix tests/js` (or `make test`)")
    done = node("site.test.mjs", url, server, str(BROWSER_TIMEOUT), str(tmp_path))
    assert done.returncode == 0, f"the site test failed behind {host}:\n{done.stdout}{done.stderr}"
    assert json.loads(done.stdout.strip().splitlines()[-1])["ok"]


def test_build_can_write_the_site_too(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "build", "--out", str(out), "--site"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {out / 'site'}/: " in done.stdout
    assert (out / "site" / "id" / "district" / "110105" / "index.html").is_file()
    assert "site/" not in (out / "SHA256SUMS").read_text(), "the site is not part of the build's checksums"


@pytest.mark.parametrize("quads", [10, 10**9])
def test_the_query_page_sends_readers_to_the_server_when_the_data_is_too_large(
    built: tuple[object, Path], quads: int
) -> None:
    from starlette.testclient import TestClient

    from hotline_kg.server.app import create_app
    from hotline_kg.server.responses import StaticSite
    from hotline_kg.server.settings import Settings

    _, dist = built
    app = create_app(Settings(dist=dist, client_rate=0, workers=1))
    limit = 1000
    app.state.static_site = StaticSite(
        "/dumps/hotline.nq.gz", "/search-index.json", 3, 100, quads, 1, quads <= limit, SITE_URL
    )
    with TestClient(app) as client:
        page = client.get("/query").text
    if quads <= limit:
        assert 'data-engine="browser"' in page and "Queries run in your browser" in page
        assert f'<a href="{SITE_URL}/query">' in page, "the server is named for what the browser cannot do"
    else:
        assert 'data-engine="server"' in page and 'data-engine="browser"' not in page
        assert "too large to query in a browser" in page and f'data-server="{SITE_URL}"' in page


def test_the_site_refuses_a_server_that_is_not_a_web_address(built: tuple[object, Path], tmp_path: Path) -> None:
    _, dist = built
    done = run_site(dist, tmp_path / "site", "--site-server", "javascript:alert(1)")
    assert done.returncode == 2 and "--site-server: not an http(s) address" in done.stderr
    assert not (tmp_path / "site").exists()


# --- when the site cannot be written --------------------------------------------------------------------


def test_a_site_that_cannot_be_written_says_why_and_keeps_the_last(built: tuple[object, Path], tmp_path: Path) -> None:
    _, dist = built
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the last good site")
    done = run_site(dist, out, "--oxigraph-js", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert f"{tmp_path / 'nowhere'}: no web.js, web_bg.wasm, package.json of the npm package oxigraph" in done.stderr
    assert "npm ci --prefix web" in done.stderr
    assert (out / "index.html").read_text() == "the last good site"
    done = run_site(tmp_path / "no-build", out)
    assert done.returncode == 1 and "SHA256SUMS" in done.stderr
    assert (out / "index.html").read_text() == "the last good site"
