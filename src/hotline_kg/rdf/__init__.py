"""Step 2 of the pipeline: facts tables + code lists + ontology → the graph and its dumps (dist/)."""
