"""The pages, one module per kind, each with the ``router`` ``app.create_app`` mounts:

- ``home``: ``/`` — the dataset, its reports, dumps and example queries;
- ``query``: ``/query`` — the query form, a query's results as a table;
- ``dumps``: ``/dumps/<file>`` and the build files at paths of their own (``/catalog`` …);
- ``resource``: ``/id/…`` and ``/def/hotline`` — every IRI of the data, as a page or as RDF
  (mounted last: its route takes every other path, and answers 404 for what is not an IRI).

Every read goes through the engine interface (``server.engine.Engine``) under its time limit.
"""
