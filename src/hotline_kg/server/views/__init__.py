"""The pages, one module per kind, each with the ``router`` ``app.create_app`` mounts:

- ``home``: ``/`` — the story of each report, the dataset, its dumps and example queries — and its
  twins ``/index.json`` and ``/index.csv``;
- ``query``: ``/query`` — the query form, a query's results as a table;
- ``search``: ``/search`` — codes by label, code or pinyin — and ``/search.json``, ``/search.csv``;
- ``dumps``: ``/dumps/<file>``, the build files at paths of their own (``/catalog``, ``/shapes``,
  ``/validation-report``, ``/.well-known/void``) and the report texts, ``/reports/<file>``;
- ``resource``: ``/id/…`` and ``/def/hotline`` — every IRI of the data, as a page or as RDF
  (mounted last: its route takes every other path, and answers 404 for what is not an IRI).

Views import no other view: the queries they run are in ``server.queries``, the responses they
share in ``server.responses``. Every read goes through the engine interface
(``server.engine.Engine``) under its time limit. tests/test_maps.py checks this list against the
routers.
"""
