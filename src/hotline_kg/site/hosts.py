"""Ready configuration for the hosts a static site is put on: content negotiation and headers.

Each function returns one file's text (pure); ``site.write`` writes them. What they say is the
server's, from the same tables: an IRI of the data (``/id/…``) or of the vocabulary
(``/def/hotline``) asked for with ``Accept: text/turtle`` answers its ``.ttl`` file, and so on for
each type of ``formats.RESOURCE_ENDINGS``; a browser (``text/html`` in Accept, or no Accept) gets
the page. Accept is matched by the types it names, without weighing q-values: a client that names
``text/html`` gets the page, else the first of Turtle, JSON-LD, N-Triples, RDF/XML it names.

- ``nginx``: a ``map`` on Accept and a ``server`` block (tested with nginx in ``make test``);
- ``htaccess``: Apache's mod_rewrite and mod_headers, at the site's root;
- ``w3id``: the redirects for ``https://w3id.org/hotline-kg/`` to where the site is published
  (a pull request to the w3id.org repository);
- ``netlify_headers`` / ``netlify_redirects``: ``_headers`` and ``_redirects``, which Netlify and
  Cloudflare Pages read (they cannot negotiate on Accept: there, each IRI answers its page, which
  links its other forms, as on GitHub Pages or ``python -m http.server``).
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline_kg import formats
from hotline_kg.server.views.dumps import BUILD_FILES

#: The types a browser names: the page, whatever else it accepts.
PAGE_TYPES = (formats.HTML, "application/xhtml+xml")
#: Paths whose answer is negotiated (a regular expression of the path, for nginx and Apache).
NEGOTIATED = r"^/(id/.+|def/hotline)$"
#: The query page and its worker: the one policy that allows WebAssembly (Apache: a regular expression).
QUERY_PAGE = r"^/(query(/|/index\.html)?|static/sparql-worker\.js)$"
#: Files of the site by their ending, with their media types (the build files at paths of their
#: own are Turtle; the checksums, text).
TYPES = {
    **{ending: formats.with_charset(media) for ending, media in formats.RESOURCE_ENDINGS.items()},
    ".nq": formats.N_QUADS.media,
    ".json": formats.with_charset(formats.JSON),
    ".csv": formats.with_charset(formats.SPARQL_CSV.media),
    ".txt": formats.with_charset(formats.TEXT),
    ".wasm": "application/wasm",
    ".js": "text/javascript; charset=utf-8",
}
#: The textual types of ``TYPES`` (nginx: a charset and gzip for them).
TEXTUAL = tuple(dict.fromkeys(m.split(";")[0] for m in TYPES.values() if "charset" in m))
#: Files without an ending and their types.
BARE_FILES = {**{path: formats.BUILD_FILE_TYPE for path in BUILD_FILES}, "/dumps/SHA256SUMS": TYPES[".txt"]}


def _regex(media: str) -> str:
    return media.replace("+", r"\+").replace(".", r"\.")


def nginx(root: str, headers: Mapping[str, str], query_headers: Mapping[str, str]) -> str:
    """An nginx ``map`` and ``server`` block serving the site at ``root``: ``headers`` on every
    answer, ``query_headers`` instead on the query page and its worker."""

    def add(given: Mapping[str, str], indent: str = "        ") -> str:
        return "".join(f'{indent}add_header {k} "{v}" always;\n' for k, v in given.items())

    types = "".join(f"        {media.split(';')[0]} {ending[1:]};\n" for ending, media in TYPES.items())
    choices = "".join(f'    "~*{_regex(media)}" "";\n' for media in PAGE_TYPES)
    choices += "".join(f'    "~*{_regex(m)}" "{e}";\n' for e, m in formats.RESOURCE_ENDINGS.items())
    bare = "".join(
        f"    location = {path} {{\n        default_type {media.split(';')[0]};\n{add(headers)}    }}\n"
        for path, media in BARE_FILES.items()
    )
    return f"""# hotline-kg static site: nginx. Include this file inside the http {{ }} block.
# Content negotiation: /id/… and /def/hotline answer their .ttl, .jsonld, .nt or .rdf file
# to a client that asks for that type (and names no HTML), else their page.
map $http_accept $hotline_kg_ending {{
    default "";
{choices}}}

server {{
    listen 8080;
    root {root};
    charset utf-8;
    charset_types {" ".join(TEXTUAL)};
    include /etc/nginx/mime.types;
    types {{
{types}    }}
    error_page 404 /404.html;
    gzip on;
    gzip_types {" ".join(TEXTUAL)} text/css application/wasm;

    location ~ {NEGOTIATED} {{
        add_header Vary Accept always;
{add(headers)}        try_files $uri$hotline_kg_ending $uri/index.html $uri =404;
    }}
    location = /query {{
{add(query_headers)}        try_files /query/index.html =404;
    }}
    location = /query/ {{
{add(query_headers)}        try_files /query/index.html =404;
    }}
    location = /static/sparql-worker.js {{
{add(query_headers)}    }}
{bare}    location / {{
{add(headers)}        try_files $uri $uri/index.html =404;
    }}
}}
"""


def htaccess(headers: Mapping[str, str], query_headers: Mapping[str, str]) -> str:
    """An Apache ``.htaccess`` for the site's root (mod_rewrite, mod_headers, mod_mime)."""
    rules = ""
    for ending, media in formats.RESOURCE_ENDINGS.items():
        page = "|".join(_regex(m) for m in PAGE_TYPES)
        rules += (
            f"RewriteCond %{{HTTP_ACCEPT}} !({page}) [NC]\n"
            f"RewriteCond %{{HTTP_ACCEPT}} {_regex(media)} [NC]\n"
            f"RewriteCond %{{DOCUMENT_ROOT}}/$1{ending} -f\n"
            f"RewriteRule ^((?:id/.+|def/hotline))$ $1{ending} [L]\n"
        )
    types = "".join(f'AddType "{media}" {ending}\n' for ending, media in TYPES.items())
    shared = "".join(f'Header always set {k} "{v}"\n' for k, v in headers.items())
    query = "".join(f'    Header always set {k} "{v}"\n' for k, v in query_headers.items())
    bare = "".join(
        f'<Files "{path.rsplit("/", 1)[1]}">\n    ForceType "{media}"\n</Files>\n' for path, media in BARE_FILES.items()
    )
    return f"""# hotline-kg static site: Apache (mod_rewrite, mod_headers, mod_mime), at the site's root.
Options -MultiViews -Indexes
DirectorySlash Off
ErrorDocument 404 /404.html
{types}{bare}{shared}<If "%{{REQUEST_URI}} =~ m#{QUERY_PAGE}#">
{query}</If>
<If "%{{REQUEST_URI}} =~ m#{NEGOTIATED}#">
    Header always append Vary Accept
</If>
RewriteEngine On
{rules}# every other path of a page: its index.html, without a redirect
RewriteCond %{{DOCUMENT_ROOT}}/$1/index.html -f
RewriteRule ^(.+?)/?$ $1/index.html [L]
"""


def w3id(site_url: str) -> str:
    """The ``.htaccess`` of ``https://w3id.org/hotline-kg/``: each IRI redirected (303) to the same
    path on ``site_url``, to its RDF file for a client that asks for RDF."""
    target = site_url.rstrip("/") + "/"
    page = "|".join(_regex(m) for m in PAGE_TYPES)
    rules = "".join(
        f"RewriteCond %{{HTTP_ACCEPT}} !({page}) [NC]\n"
        f"RewriteCond %{{HTTP_ACCEPT}} {_regex(media)} [NC]\n"
        f"RewriteRule ^(id/.+|def/hotline)$ {target}$1{ending} [R=303,L]\n"
        for ending, media in formats.RESOURCE_ENDINGS.items()
    )
    return f"""# w3id.org/hotline-kg/: the persistent IRIs of hotline-kg, redirected to where it is published
# ({target}). For the w3id.org repository, as hotline-kg/.htaccess.
Options +FollowSymLinks
RewriteEngine on
Header set Access-Control-Allow-Origin *
{rules}RewriteRule ^(.*)$ {target}$1 [R=303,L]
"""


def netlify_headers(headers: Mapping[str, str], query_headers: Mapping[str, str]) -> str:
    """``_headers`` (Netlify, Cloudflare Pages): the shared headers on every file, the query
    page's policy on its worker, and the types of the files a host may not know. The pages carry
    their own policy (a ``<meta>``); a policy sent on every path would also bind the worker."""
    shared = {k: v for k, v in headers.items() if k != "Content-Security-Policy"}
    lines = ["/*", *(f"  {k}: {v}" for k, v in shared.items())]
    lines += ["/static/sparql-worker.js", f"  Content-Security-Policy: {query_headers['Content-Security-Policy']}"]
    for ending, media in TYPES.items():
        if ending in formats.RESOURCE_ENDINGS or ending == ".nq":
            lines += [f"/*{ending}", f"  Content-Type: {media}"]
    for path, media in BARE_FILES.items():
        lines += [path, f"  Content-Type: {media}"]
    return "\n".join(lines) + "\n"


def netlify_redirects() -> str:
    """``_redirects`` (Netlify, Cloudflare Pages): the endpoint's path to the query page, which
    answers the same query in the browser."""
    return "/sparql  /query  302\n"
