// Query a running hotline-kg SPARQL endpoint with JavaScript SPARQL clients, as a web or Node
// application would: Comunica's fetch-sparql-endpoint and rdfjs' sparql-http-client, each over
// every SPARQL Protocol operation it offers, plus plain fetch for CORS.
//
//   node tests/js/clients.mjs http://127.0.0.1:8000/sparql
//
// One line per check ("ok" or "FAIL ... : why"); the exit code is non-zero if any check failed.

// fetch-sparql-endpoint's query parser (@traqula) declares node ^20.19.0 || >=22.12.0 (Debian 12's is 18)
const [major, minor] = process.versions.node.split('.').map(Number)
if (!((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23)) {
  console.error(`Node.js ${process.versions.node} is too old for these clients: use 20.19+ or 22.12+`)
  process.exit(2)
}
const { SparqlEndpointFetcher } = await import('fetch-sparql-endpoint')
const { default: SparqlClient, ParsingClient } = await import('sparql-http-client')

const endpoint = process.argv[2]
if (!endpoint || !/^https?:\/\//.test(endpoint)) {
  console.error('usage: node clients.mjs http://HOST:PORT/sparql')
  process.exit(2)
}

const QB = 'http://purl.org/linked-data/cube#'
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'
const RDFS_LABEL = 'http://www.w3.org/2000/01/rdf-schema#label'
const XSD_INTEGER = 'http://www.w3.org/2001/XMLSchema#integer'
const LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString'
const SELECT = `SELECT ?s WHERE { ?s a <${QB}DataSet> }`
const LABELS = `SELECT ?s ?label WHERE { ?s a <${QB}DataSet> ; <${RDFS_LABEL}> ?label FILTER(lang(?label) = "zh") }`
const COUNT = `SELECT (COUNT(?s) AS ?n) WHERE { ?s a <${QB}DataSet> }`
const ASK_TRUE = `ASK { ?s a <${QB}DataSet> }`
const ASK_FALSE = 'ASK { <http://example.org/no-such-thing> ?p ?o }'
const CONSTRUCT = `CONSTRUCT { ?s a ?t } WHERE { ?s a <${QB}DataSet> . ?s a ?t } LIMIT 20`
// Two kinds of syntax error: one the server's own parser reports ("malformed query: ..."),
// one that only the store's parser sees (the form keyword is there, the pattern is broken).
const MALFORMED = 'SELEKT ?s WHERE { ?s ?p ?o }'
const BROKEN = 'SELECT ?s WHERE { ?s ?p }'
const TIMEOUT_MS = 20000

const results = []

async function check (name, fn) {
  let timer
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)
  })
  try {
    const detail = await Promise.race([fn(), timeout])
    results.push({ name, ok: true })
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`)
  } catch (err) {
    results.push({ name, ok: false })
    const why = err instanceof CheckFailed ? err.message : (err && err.stack) || String(err)
    const cause = err && err.cause ? `\n     cause: ${err.cause.message || err.cause}` : ''
    console.log(`FAIL ${name}: ${why}${cause}`)
  } finally {
    clearTimeout(timer)
  }
}

class CheckFailed extends Error {}

function assert (condition, message) {
  if (!condition) throw new CheckFailed(message)
}

/** Every item of a Node stream, and its 'variables' event if it has one. */
function collect (stream) {
  return new Promise((resolve, reject) => {
    const items = []
    let variables = null
    stream.on('variables', v => { variables = v })
    stream.on('data', item => items.push(item))
    stream.on('error', reject)
    stream.on('end', () => resolve(Object.assign(items, { variables })))
  })
}

const show = value => JSON.stringify(value).slice(0, 300)

function checkSelect (rows) {
  assert(Array.isArray(rows) && rows.length > 0, `no bindings: ${show(rows)}`)
  const hit = rows.find(row => row.s && row.s.termType === 'NamedNode' && row.s.value.includes('dataset/2024'))
  assert(hit, `no ?s binding is an IRI containing dataset/2024: ${show(rows)}`)
  return `${rows.length} bindings, e.g. <${hit.s.value}>`
}

function checkLabels (rows) {
  assert(rows.length > 0, 'no labels')
  for (const { label } of rows) {
    assert(label && label.termType === 'Literal', `?label is not a literal: ${show(label)}`)
    assert(label.language === 'zh', `?label has language ${show(label.language)}, not "zh": ${show(label)}`)
    assert(label.datatype.value === LANG_STRING, `?label has datatype ${label.datatype.value}, not rdf:langString`)
    assert(label.value.includes('北京12345'), `?label is not the Chinese title (UTF-8 lost?): ${show(label)}`)
  }
  return `${rows.length} labels, e.g. "${rows[0].label.value}"@zh`
}

function checkCount (rows) {
  assert(rows.length === 1, `expected one row, got ${show(rows)}`)
  const n = rows[0].n
  assert(n && n.termType === 'Literal', `?n is not a literal: ${show(n)}`)
  assert(n.datatype && n.datatype.value === XSD_INTEGER, `?n is not an xsd:integer: ${show(n)}`)
  assert(Number(n.value) >= 1, `?n is ${n.value}`)
  return `?n = ${n.value}^^xsd:integer`
}

function checkAsk (answer, expected) {
  assert(answer === expected, `expected ${expected}, got ${show(answer)}`)
  return String(answer)
}

function checkConstruct (quads) {
  assert(quads.length > 0 && quads.length <= 20, `expected 1 to 20 quads, got ${quads.length}`)
  for (const q of quads) {
    assert(q.subject.termType === 'NamedNode', `subject is not an IRI: ${show(q)}`)
    assert(q.predicate.value === RDF_TYPE, `predicate is not rdf:type: ${show(q)}`)
    assert(q.graph.termType === 'DefaultGraph', `quad not in the default graph: ${show(q)}`)
  }
  const hit = quads.find(q => q.object.value === `${QB}DataSet` && q.subject.value.includes('dataset/2024'))
  assert(hit, `no quad <…dataset/2024> a qb:DataSet: ${show(quads)}`)
  return `${quads.length} quads`
}

/** The client must refuse the answer with an error that carries the status and the server's message. */
async function checkRejected (run, query, expected) {
  const raw = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query })
  })
  const message = (await raw.text()).trim()
  assert(raw.status === 400, `the server answered ${raw.status} (not 400): ${message}`)
  assert(message.startsWith(expected), `the server's message does not start with "${expected}": ${message}`)
  let result
  try {
    result = await run(query)
  } catch (err) {
    const text = String(err && err.message)
    assert(text.includes('400'), `the error does not mention status 400: ${text}`)
    assert(text.includes(message), `the error does not carry the server's message "${message}": ${text}`)
    return `rejected: ${text.replace(/\s+/g, ' ').slice(0, 140)}`
  }
  throw new CheckFailed(`the client did not reject; it returned ${show(result)}`)
}

// --- Comunica's fetch-sparql-endpoint: POST form (its default), GET, POST application/sparql-query;
// it asks for SPARQL JSON results and Turtle. Then the same with XML results and N-Triples instead.

/** fetch, with the client's Accept header replaced by this one (and the answer checked to be of that type). */
const acceptOnly = accept => async (url, init) => {
  const headers = new Headers(init.headers)
  headers.set('accept', accept)
  const res = await fetch(url, { ...init, headers })
  const type = res.headers.get('content-type') || ''
  assert(type.split(';')[0] === accept, `asked for ${accept}, got content-type ${type}`)
  return res
}

const fetchers = {
  'POST form': new SparqlEndpointFetcher(),
  GET: new SparqlEndpointFetcher({ method: 'GET' }),
  'POST direct': new SparqlEndpointFetcher({ directPost: true })
}

for (const [how, fetcher] of Object.entries(fetchers)) {
  const name = `fetch-sparql-endpoint ${how}`
  await check(`${name} SELECT`, async () => {
    const rows = await collect(await fetcher.fetchBindings(endpoint, SELECT))
    const vars = (rows.variables || []).map(v => v.value)
    assert(vars.length === 1 && vars[0] === 's', `'variables' event gave ${show(rows.variables)}, not [?s]`)
    return checkSelect(rows)
  })
  const bindings = async query => collect(await fetcher.fetchBindings(endpoint, query))
  await check(`${name} SELECT labels`, async () => checkLabels(await bindings(LABELS)))
  await check(`${name} SELECT COUNT`, async () => checkCount(await bindings(COUNT)))
  await check(`${name} ASK true`, async () => checkAsk(await fetcher.fetchAsk(endpoint, ASK_TRUE), true))
  await check(`${name} ASK false`, async () => checkAsk(await fetcher.fetchAsk(endpoint, ASK_FALSE), false))
  await check(`${name} CONSTRUCT`, async () =>
    checkConstruct(await collect(await fetcher.fetchTriples(endpoint, CONSTRUCT))))
  for (const [query, expected] of [[MALFORMED, 'malformed query'], [BROKEN, '']]) {
    await check(`${name} bad query ${JSON.stringify(query)}`, () => checkRejected(bindings, query, expected))
  }
}

const xml = new SparqlEndpointFetcher({ fetch: acceptOnly('application/sparql-results+xml') })
await check('fetch-sparql-endpoint XML results SELECT', async () =>
  checkSelect(await collect(await xml.fetchBindings(endpoint, SELECT))))
await check('fetch-sparql-endpoint XML results SELECT labels', async () =>
  checkLabels(await collect(await xml.fetchBindings(endpoint, LABELS))))
await check('fetch-sparql-endpoint XML results SELECT COUNT', async () =>
  checkCount(await collect(await xml.fetchBindings(endpoint, COUNT))))
await check('fetch-sparql-endpoint XML results ASK true', async () =>
  checkAsk(await xml.fetchAsk(endpoint, ASK_TRUE), true))
await check('fetch-sparql-endpoint XML results ASK false', async () =>
  checkAsk(await xml.fetchAsk(endpoint, ASK_FALSE), false))
const ntriples = new SparqlEndpointFetcher({ fetch: acceptOnly('application/n-triples') })
await check('fetch-sparql-endpoint N-Triples CONSTRUCT', async () =>
  checkConstruct(await collect(await ntriples.fetchTriples(endpoint, CONSTRUCT))))

// --- rdfjs sparql-http-client: the stream client (its default export) and the parsing client,
// over GET (its default), POST form and POST application/sparql-query. For CONSTRUCT it asks for
// "application/n-triples, text/turtle" (and gets N-Triples); then once with Turtle alone.

const streamClient = new SparqlClient({ endpointUrl: endpoint })
const parsingClient = new ParsingClient({ endpointUrl: endpoint })

for (const operation of ['get', 'postUrlencoded', 'postDirect']) {
  const name = `sparql-http-client ${operation}`
  const options = { operation }
  await check(`${name} SELECT (stream)`, async () =>
    checkSelect(await collect(streamClient.query.select(SELECT, options))))
  await check(`${name} SELECT (parsing)`, async () => checkSelect(await parsingClient.query.select(SELECT, options)))
  await check(`${name} SELECT labels`, async () => checkLabels(await parsingClient.query.select(LABELS, options)))
  await check(`${name} SELECT COUNT`, async () => checkCount(await parsingClient.query.select(COUNT, options)))
  await check(`${name} ASK true`, async () => checkAsk(await streamClient.query.ask(ASK_TRUE, options), true))
  await check(`${name} ASK false`, async () => checkAsk(await streamClient.query.ask(ASK_FALSE, options), false))
  await check(`${name} CONSTRUCT (stream)`, async () =>
    checkConstruct(await collect(streamClient.query.construct(CONSTRUCT, options))))
  await check(`${name} CONSTRUCT (parsing)`, async () =>
    checkConstruct([...(await parsingClient.query.construct(CONSTRUCT, options))]))
  for (const [query, expected] of [[MALFORMED, 'malformed query'], [BROKEN, '']]) {
    await check(`${name} bad query ${JSON.stringify(query)}`, () =>
      checkRejected(q => parsingClient.query.select(q, options), query, expected))
  }
}

await check('sparql-http-client Turtle CONSTRUCT', async () => {
  const dataset = await parsingClient.query.construct(CONSTRUCT, { headers: { accept: 'text/turtle' } })
  return checkConstruct([...dataset])
})

// --- CORS, as a browser would see it (plain fetch; Node does not enforce CORS itself)

const ORIGIN = 'https://example.org'

await check('CORS GET with Origin', async () => {
  const url = `${endpoint}?query=${encodeURIComponent(ASK_TRUE)}`
  const res = await fetch(url, { headers: { origin: ORIGIN, accept: 'application/sparql-results+json' } })
  const body = await res.text()
  assert(res.status === 200, `status ${res.status}: ${body}`)
  assert(JSON.parse(body).boolean === true, `not a true ASK answer: ${body}`)
  const allow = res.headers.get('access-control-allow-origin')
  assert(allow === '*', `access-control-allow-origin is ${show(allow)}, not "*"`)
  return `access-control-allow-origin: ${allow}`
})

await check('CORS POST application/sparql-query with Origin', async () => {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      origin: ORIGIN,
      'content-type': 'application/sparql-query',
      accept: 'application/sparql-results+json'
    },
    body: SELECT
  })
  const body = await res.text()
  assert(res.status === 200, `status ${res.status}: ${body}`)
  const allow = res.headers.get('access-control-allow-origin')
  assert(allow === '*', `access-control-allow-origin is ${show(allow)}, not "*"`)
  assert(JSON.parse(body).results.bindings.length > 0, `no bindings: ${body}`)
  return `access-control-allow-origin: ${allow}`
})

await check('CORS error answer readable cross-origin', async () => {
  // A browser application can only show the server's 400 message if the error carries the CORS header too.
  const res = await fetch(`${endpoint}?query=${encodeURIComponent(MALFORMED)}`, { headers: { origin: ORIGIN } })
  const allow = res.headers.get('access-control-allow-origin')
  assert(res.status === 400, `status ${res.status}, not 400`)
  assert(allow === '*', `access-control-allow-origin on the 400 is ${show(allow)}, not "*"`)
  return `400 with access-control-allow-origin: ${allow}`
})

await check('CORS preflight OPTIONS for POST application/sparql-query', async () => {
  const res = await fetch(endpoint, {
    method: 'OPTIONS',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type'
    }
  })
  const h = name => res.headers.get(name)
  const body = await res.text()
  assert(res.status === 200 || res.status === 204, `status ${res.status}: ${body}`)
  const allow = h('access-control-allow-origin')
  assert(allow === '*' || allow === ORIGIN, `access-control-allow-origin is ${show(allow)}`)
  const methods = (h('access-control-allow-methods') || '').split(',').map(m => m.trim().toUpperCase())
  assert(methods.includes('POST') || methods.includes('*'),
    `access-control-allow-methods is ${show(h('access-control-allow-methods'))}`)
  const headers = (h('access-control-allow-headers') || '').split(',').map(m => m.trim().toLowerCase())
  assert(headers.includes('content-type') || headers.includes('*'),
    `access-control-allow-headers is ${show(h('access-control-allow-headers'))}`)
  return `${res.status}; methods ${h('access-control-allow-methods')}; headers ${h('access-control-allow-headers')}`
})

const failed = results.filter(r => !r.ok)
console.log(`${results.length - failed.length} of ${results.length} checks passed`)
if (failed.length) {
  console.log(`failed: ${failed.map(r => r.name).join('; ')}`)
  process.exit(1)
}
