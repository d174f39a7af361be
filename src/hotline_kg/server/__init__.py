"""Step 4 of the pipeline: serve dist/ — SPARQL endpoint, linked-data URIs, pages, dumps.

Where to look:

- a request enters at ``app.create_app``, which mounts the routers below (and starts the engine);
- the SPARQL endpoint, ``/sparql``: ``sparql`` (reading the request, negotiation, the answer
  cache ``cache``, the Service Description), with the Protocol's checks in ``protocol``;
- each page is made in ``views/``: ``home`` (``/``), ``query`` (``/query``), ``resource``
  (``/id/…``, ``/def/hotline``), ``dumps`` (``/dumps/…``, ``/catalog``, ``/shapes`` …);
- every media type and format is defined in ``hotline_kg.formats`` (and nowhere else);
- every setting and its ``HOTLINE_KG_*`` environment variable is in ``settings``;
- the store behind it all: ``engine/`` (``base.Engine``, ``embedded``, ``remote``, ``local``);
- shared responses (templates, errors, 404): ``responses``; the HTML templates: ``templates/``.
"""
