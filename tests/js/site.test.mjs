// The static site (dist/site/, `hotline-kg site`) in Chromium, behind a static web server (driven by
// tests/test_site.py): node tests/js/site.test.mjs SITE_URL SERVER_URL TIMEOUT_S [SCREENSHOT_DIR]
// clicks home → a district → one of its observations → its line in the report text; searches
// "chaoyang", "110105" and "朝阳" from the header's box and finds 朝阳区; runs every example query
// of the query page in the browser (Oxigraph, WebAssembly, in a Web Worker) and compares its rows,
// downloaded as JSON from the page, with what the server's /sparql answers; stops a runaway query
// at the time limit and answers the next; checks that nothing is loaded from another host and that
// no script error or Content-Security-Policy violation happens. Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launch, watch } from "./browser.mjs";

const [site, server, timeoutS, shots] = process.argv.slice(2);
assert.ok(site && server && timeoutS, "usage: node site.test.mjs SITE_URL SERVER_URL TIMEOUT_S [SCREENSHOT_DIR]");
const browser = await launch();
const shot = async (page, name) => {
  if (shots) await page.screenshot({ path: `${shots}/site-${name}.png`, fullPage: false });
};
// A solution as text that does not depend on the order of its variables or a blank node's label.
const solution = (b) => JSON.stringify(Object.keys(b).sort().map((k) => [k, b[k].type, b[k].type === "bnode" ? "" : b[k].value, b[k].datatype || "", b[k]["xml:lang"] || ""]));

let seen = { errors: [], foreign: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 }, acceptDownloads: true });
  // the 404 a missing path is meant to get is not an error (a script or stylesheet that fails to
  // load is), nor the icon the browser asks for on a host's own 404 page (python -m http.server's)
  const expected = (m) => /status of 404/.test(m.text()) && /\/(id\/nothing-here|favicon\.ico)$/.test(m.location().url);
  const { foreign, errors } = (seen = watch(page, new URL(site).origin, expected));

  // home → district → observation → the line of the report text
  await page.goto(site + "/");
  assert.ok((await page.locator(".figures .figure").count()) > 0, "the home page shows headline figures");
  await shot(page, "home");
  const district = page.locator('main svg a[href^="/id/district/"]').first();
  const districtHref = await district.getAttribute("href");
  await district.click();
  await page.waitForURL((u) => u.pathname.replace(/\/$/, "") === districtHref);
  assert.ok((await page.locator("main svg.chart").count()) > 0, "a district's page has a chart");
  const alternates = await page.locator('head link[rel="alternate"]').evaluateAll((ls) => ls.map((l) => l.getAttribute("href")));
  assert.ok(alternates.includes(districtHref + ".ttl"), `the page names its Turtle twin: ${alternates}`);
  const turtle = await page.request.get(site + districtHref + ".ttl");
  assert.equal(turtle.status(), 200, "the Turtle twin is there");
  assert.match(await turtle.text(), /^(@prefix|PREFIX) /m, "the Turtle twin is Turtle");
  await shot(page, "district");
  const observation = page.locator('main table a[href^="/id/obs/"]').first();
  const obsHref = await observation.getAttribute("href");
  await observation.click();
  await page.waitForURL((u) => u.pathname.replace(/\/$/, "") === obsHref);
  const marked = (await page.locator("blockquote.quote mark").textContent()).trim();
  assert.ok(marked.length > 0, "the figure is marked in the quote");
  const source = page.locator('main a[href^="/reports/"]').first();
  const sourceHref = await source.getAttribute("href");
  await source.click();
  await page.waitForURL((u) => u.pathname.startsWith(sourceHref.split("#")[0]));
  const line = page.locator(sourceHref.slice(sourceHref.indexOf("#")));
  assert.ok((await line.textContent()).includes(marked), "the linked line holds the marked figure");

  // a list's next page (written at /p/…, its link rewritten) and the vocabulary
  await page.goto(site + "/id/year/2024");
  const next = page.locator('a[rel="next"]');
  if (await next.count()) {
    await next.click();
    await page.waitForURL(/\/p\/\w+\.html/);
    assert.ok((await page.locator("table.obs tbody tr").count()) > 0, "the next page lists observations");
  }
  await page.goto(site + "/def/hotline");
  assert.ok((await page.locator("main h2").count()) > 0, "the vocabulary's page shows");
  const missing = await page.goto(site + "/id/nothing-here");
  assert.equal(missing.status(), 404, "a path that is not there answers 404");
  assert.ok((await page.content()).includes("404"), "with the 404 page");

  // search from the header's box
  for (const q of ["chaoyang", "110105", "朝阳"]) {
    await page.goto(site + "/");
    const box = page.locator("header input[type=search]");
    await box.fill(q);
    await box.press("Enter");
    await page.waitForURL(/\/search\/?\?q=/);
    await page.locator("section.results").waitFor();
    const found = await page.locator("section.results table a").allTextContents();
    assert.ok(found.some((t) => t.trim() === "朝阳区"), `"${q}" finds 朝阳区: ${found.slice(0, 5)}`);
  }
  await shot(page, "search");

  // every example query, in the browser, against the server's answer
  await page.goto(site + "/query");
  const examples = await page.locator("ul.examples a").evaluateAll((as) => as.map((a) => ({ title: a.textContent, query: new URL(a.href).searchParams.get("query"), services: a.dataset.services })));
  assert.ok(examples.length > 0, "the query page lists examples");
  let firstMs = 0;
  const federated = examples.findIndex((x) => x.services);
  assert.ok(federated >= 0, "an example calls SERVICE");
  await page.locator("select.picker").selectOption(String(federated));
  const needs = page.locator("section.results p.error");
  await needs.waitFor({ timeout: 60000 });
  assert.match(await needs.textContent(), /need the server/, "a federated example says it needs the server");
  for (const [i, example] of examples.entries()) {
    if (example.services) continue; // the server's, with an allowed endpoint (tests/test_federation.py)
    // Chromium lets a page start ten downloads in a row, no more (whatever the page does): a new one
    if (i > 0 && i % 8 === 0) await page.goto(site + "/query");
    await page.locator("select.picker").selectOption(String(i));
    const summary = page.locator("section.results p.summary, section.results p.error");
    await summary.first().waitFor({ timeout: 120000 });
    const shown = await summary.first().textContent();
    assert.ok(!(await page.locator("section.results p.error").count()), `${example.title}: ${shown}`);
    if (i === 0) firstMs = Number(/(\d+) ms/.exec(shown)[1]);
    const [download] = await Promise.all([
      page.waitForEvent("download").catch(async (err) => {
        const state = await page.locator("section.results").innerText();
        throw new Error(`${example.title}: no JSON download (${err.message}); the page shows: ${state.slice(0, 300)}`);
      }),
      page.locator(".downloads a", { hasText: "JSON" }).click(),
    ]);
    const mine = JSON.parse(await readFile(await download.path(), "utf8"));
    const response = await fetch(`${server}/sparql`, {
      method: "POST",
      headers: { Accept: "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: example.query }),
    });
    assert.equal(response.status, 200, `${example.title}: the server answers`);
    const theirs = await response.json();
    assert.deepEqual(mine.head.vars, theirs.head.vars, `${example.title}: the same columns`);
    assert.deepEqual(mine.results.bindings.map(solution).sort(), theirs.results.bindings.map(solution).sort(), `${example.title}: the same rows`);
    assert.match(shown, new RegExp(`^${theirs.results.bindings.length} 行`), `${example.title}: the table counts its rows`);
  }
  await shot(page, "query");
  // the CSV download, made in the browser from the same query
  const [csv] = await Promise.all([page.waitForEvent("download"), page.locator(".downloads a", { hasText: "CSV" }).click()]);
  const csvText = await readFile(await csv.path(), "utf8");
  assert.equal(csvText.split("\r\n")[0], (await page.locator("section.results thead th").allTextContents()).join(","), "the CSV download has the table's columns");

  // a runaway query is stopped at the limit; the next query is answered
  const area = page.locator("form.sparql textarea");
  await area.fill("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }");
  const began = Date.now();
  await page.locator("form.sparql button[type=submit]").click();
  const stopped = page.locator("section.results p.error");
  await stopped.waitFor({ timeout: Number(timeoutS) * 1000 + 60000 });
  assert.match(await stopped.textContent(), /limit/, "the runaway query is stopped at the limit");
  const took = (Date.now() - began) / 1000;
  assert.ok(took < Number(timeoutS) + 30, `stopped after ${took} s`);
  await area.fill("ASK { ?s ?p ?o }");
  await page.locator("form.sparql button[type=submit]").click();
  await page.locator("section.results p.summary").waitFor({ timeout: 120000 });
  assert.equal((await page.locator("section.results td").first().textContent()).trim(), "true", "the next query is answered");
  // a shared URL runs its own query
  const shared = "ASK { ?district <http://www.w3.org/2004/02/skos/core#notation> \"110105\" }";
  await page.goto(`${site}/query?${new URLSearchParams({ query: shared })}`);
  await page.locator("section.results p.summary").waitFor({ timeout: 120000 });
  assert.equal(await area.inputValue(), shared, "the shared URL's query is in the editor");
  assert.equal((await page.locator("section.results td").first().textContent()).trim(), "true", "and is answered");
  // the row limit: a query with more rows than the site's limit is refused, naming it
  await area.fill("SELECT * WHERE { ?s ?p ?o }");
  await page.locator("form.sparql button[type=submit]").click();
  const refused = page.locator("section.results p.error");
  await refused.waitFor({ timeout: 60000 });
  assert.match(await refused.textContent(), /^413: the result has more than \d+ rows; add a LIMIT/, "the row limit holds");

  assert.deepEqual(foreign, [], "no request goes to another host");
  assert.deepEqual(errors, [], "no script error and no Content-Security-Policy violation");
  console.log(JSON.stringify({ ok: true, examples: examples.length, first_query_ms: firstMs, stopped_after_s: took }));
} catch (err) {
  console.error("console errors so far:", seen.errors, "requests to other hosts:", seen.foreign);
  throw err;
} finally {
  await browser.close();
}
