// The static site's search (server/static/search-index.js) beside the server's (driven by
// tests/test_site.py): node tests/js/search.test.mjs SEARCH_INDEX_JSON < {query: server's results}
// searches each query in the index the site exported and expects the server's results, in the
// server's order, with the same scores and matches. Exits non-zero on the first difference.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { search } from "../../src/hotline_kg/server/static/search-index.js";

const [indexFile] = process.argv.slice(2);
assert.ok(indexFile, "usage: node search.test.mjs SEARCH_INDEX_JSON < EXPECTED_JSON");
const index = JSON.parse(await readFile(indexFile, "utf8"));
let stdin = "";
for await (const chunk of process.stdin) stdin += chunk;
const expected = JSON.parse(stdin);
let count = 0;
for (const [q, results] of Object.entries(expected)) {
  assert.deepEqual(search(index, q, 20), results, `"${q}": not the server's results`);
  count += 1;
}
console.log(`ok: ${count} searches, each as the server's`);
