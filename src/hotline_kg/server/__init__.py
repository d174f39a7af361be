"""Step 4 of the pipeline: serve dist/ — SPARQL endpoint, linked-data URIs, pages, dumps."""
