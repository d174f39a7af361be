"""The static site: the whole site as files, for hosts that run no program (``hotline-kg site``).

The server's own app, in-process, is asked for every page (``crawl``); its answers, the dumps, the
scripts, the search index and Oxigraph's WebAssembly are written into ``dist/site/`` (``write``),
each page where a static host finds it (``paths``), with configuration for the common hosts
(``hosts``). In the browser, the query page runs SPARQL with Oxigraph in a Web Worker
(``server/static/sparql-worker.js``) and the search page searches the server's index, exported
(``server/static/search-index.js``).
"""
