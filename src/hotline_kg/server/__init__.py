"""Step 4 of the pipeline: serve dist/ — SPARQL endpoint, linked-data URIs, pages, dumps.

Where to look:

- a request enters at ``app.create_app``, which mounts the routers below (and starts the engine);
- the SPARQL endpoint, ``/sparql``: ``sparql`` (reading the request, negotiation, the answer
  cache ``cache``, the Service Description), with the Protocol's checks in ``protocol`` (a query's
  text, and rdflib's parser in a thread of its own: ``query_text``); paths of zero length written
  as SPARQL answers them, whatever the engine: ``zero_length``; SERVICE to the allowed endpoints,
  each call made by this server, never by the engine: ``federation``;
- each page is made in ``views/``: ``home`` (``/``), ``query`` (``/query``), ``search``
  (``/search``), ``resource`` (``/id/…``, ``/def/hotline``), ``dumps`` (``/dumps/…``, ``/catalog``,
  ``/reports/…`` …); the queries they run: ``queries``; which observations a resource has (its
  page's counts and list): ``observation_index``;
- every media type and format is defined in ``hotline_kg.formats`` (and nowhere else);
- every setting, its ``HOTLINE_KG_*`` environment variable and its command-line option: ``settings``;
- the limits on each client and connection: ``limits``; the home page's charts: ``charts``; the
  search index: ``search``; the OpenAPI description: ``openapi``;
- the store behind it all: ``engine/`` (``base.Engine``, ``embedded`` with ``inputs``, ``stores``
  and ``worker``, ``remote`` with ``virtuoso`` (where Virtuoso answers otherwise than SPARQL says,
  and how the wrapper makes it right), ``local``);
- shared responses (templates, errors, 404, cache policies): ``responses``; the HTML templates:
  ``templates/``.

tests/test_maps.py checks this map against the package's modules.
"""
