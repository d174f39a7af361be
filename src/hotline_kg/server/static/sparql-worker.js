// SPARQL in the browser, for the static site's query page (query.js starts this module worker):
// Oxigraph compiled to WebAssembly (the npm package oxigraph, served from this site), over the
// build's dump, loaded on the first query. The default graph is the union of the named graphs, as
// on the server's endpoint: the dump's triples are also put in the default graph, so that a query's
// own FROM still names its dataset. Only queries are run (Store.query: no update, no LOAD), and
// Oxigraph compiled to WebAssembly fetches nothing (SERVICE is refused). The page stops this worker
// at the time limit; the row limit is checked here.
//
// Messages in: {load: dumpPath} once, then {id, query, accept, maxRows}. Out: {progress, total},
// {ready, quads, ms, memory} (the WebAssembly memory's bytes), {id, body, type} or {id, error}.
import init, { Store } from "./oxigraph/web.js";

const RESULTS = "application/sparql-results+json";
const GRAPH = "application/n-triples";
const TABLES = ["text/csv", "text/tab-separated-values", RESULTS];
let store = null;

async function load(dump) {
  const started = performance.now();
  const wasm = await init({ module_or_path: new URL("./oxigraph/web_bg.wasm", import.meta.url) });
  const response = await fetch(dump);
  if (!response.ok) throw new Error(`${dump}: ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get("Content-Length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ progress: loaded, total });
  }
  let bytes = new Blob(chunks);
  const head = new Uint8Array(await bytes.slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) { // gzip, unless the host already took it off
    bytes = await new Response(bytes.stream().pipeThrough(new DecompressionStream("gzip"))).blob();
  }
  store = new Store();
  store.load(new Uint8Array(await bytes.arrayBuffer()), { format: "application/n-quads" });
  store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }");
  return { ready: true, quads: store.size, ms: Math.round(performance.now() - started), memory: wasm.memory.buffer.byteLength };
}

function run(query, accept, maxRows) {
  const wanted = TABLES.find((t) => accept.startsWith(t)) || RESULTS;
  let body;
  let type = wanted;
  try {
    body = store.query(query, { results_format: wanted });
  } catch (err) {
    if (!/format/i.test(String(err.message || err))) throw err;
    type = GRAPH; // a CONSTRUCT or DESCRIBE: its triples
    body = store.query(query, { results_format: GRAPH });
  }
  const rows = type === GRAPH ? body.split("\n").filter(Boolean).length
    : type === RESULTS ? (JSON.parse(body).results || { bindings: [] }).bindings.length
    : Math.max(0, body.split("\n").filter(Boolean).length - 1);
  if (rows > maxRows) throw new Error(`413: the result has more than ${maxRows} ${type === GRAPH ? "triples" : "rows"}; add a LIMIT`);
  return { body, type };
}

onmessage = async (event) => {
  const message = event.data;
  if (message.load) {
    try {
      postMessage(await load(message.load));
    } catch (err) {
      postMessage({ failed: `the data could not be loaded: ${err.message || err}` });
    }
    return;
  }
  try {
    postMessage({ id: message.id, ...run(message.query, message.accept, message.maxRows) });
  } catch (err) {
    postMessage({ id: message.id, error: `400: ${err.message || err}`.replace(/^400: (\d{3}): /, "$1: ") });
  }
};
