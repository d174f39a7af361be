// The query page's editor in Chromium (driven by tests/test_browser.py):
// node tests/js/editor.test.mjs SERVER_URL [SCREENSHOT.png]
// picks an example and runs it, completes `hl:`, pre-fills from ?query=, and makes no request
// to another host. Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, watch } from "./browser.mjs";

const [url, screenshot] = process.argv.slice(2);
assert.ok(url, "usage: node editor.test.mjs SERVER_URL [SCREENSHOT.png]");
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  const { foreign, errors } = watch(page, new URL(url).origin, (m) => m.location().url.endsWith("/favicon.ico"));

  // an example from the picker, run: the table has rows, numbers right-aligned, IRIs as labelled links
  await page.goto(url + "/query");
  await page.waitForSelector(".editor pre.highlight span.kw");
  const picker = page.locator("select.picker");
  const options = await picker.locator("option").count();
  assert.ok(options > 1, "the example picker lists the examples");
  await picker.selectOption({ index: 1 });
  await page.waitForSelector("table.rows tbody tr", { timeout: 30000 });
  const rows = await page.locator("table.rows tbody tr").count();
  assert.ok(rows > 0, "the example's results have rows");
  assert.ok((await page.locator("table.rows td.num").count()) > 0, "numbers are marked right-aligned");
  const link = page.locator("table.rows td a").first();
  assert.match(await link.getAttribute("href"), /^\/id\//, "a dataset IRI links to its local page");
  assert.doesNotMatch(await link.textContent(), /^https?:/, "an IRI is shown by its label");
  assert.ok(new URL(page.url()).searchParams.get("query").includes("SELECT"), "the URL carries the query");
  for (const f of ["csv", "tsv", "json"]) {
    const href = await page.locator(`.downloads a[href*="format=${f}"]`).getAttribute("href");
    const res = await page.request.get(url + href);
    assert.equal(res.status(), 200, `download ${f}`);
  }
  // the chart of two columns
  await page.locator(".tabs button", { hasText: "chart" }).click();
  assert.ok((await page.locator("figure.chart rect.bar").count()) > 0, "the chart has bars");
  await page.locator(".tabs button", { hasText: "table" }).click();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });

  // completion: typing `hl:` offers the vocabulary's terms; accepting one adds the PREFIX if missing
  const area = page.locator("textarea.code");
  await area.fill("SELECT * WHERE { ?s a ");
  await area.press("End");
  await area.pressSequentially("hl:");
  await page.waitForSelector("ul.complete:not([hidden]) li", { timeout: 15000 });
  const offered = await page.locator("ul.complete li").allTextContents();
  assert.ok(offered.length > 0 && offered.every((t) => t.startsWith("hl:")), `hl: completions: ${offered.slice(0, 5)}`);
  await area.press("Enter");
  const text = await area.inputValue();
  assert.match(text, /^PREFIX hl: <https:\/\/w3id\.org\/hotline-kg\/def\/hotline#>/, "the prefix is declared");
  assert.ok(text.includes(offered[0]), "the chosen term is inserted");
  // Ctrl-Space on a prefix's start offers the prefix
  await area.fill("SELECT * WHERE { ?s sk");
  await area.press("End");
  await area.press("Control+Space");
  await page.waitForSelector("ul.complete:not([hidden]) li");
  assert.ok((await page.locator("ul.complete li").allTextContents()).some((t) => t.startsWith("skos:")), "skos: offered");

  // a shared ?query= URL pre-fills the editor and runs
  const shared = "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }";
  await page.goto(`${url}/query?${new URLSearchParams({ query: shared })}`);
  await page.waitForSelector("table.rows tbody tr");
  assert.equal(await page.locator("textarea.code").inputValue(), shared, "?query= pre-fills the editor");
  assert.equal(await page.locator("table.rows tbody tr").count(), 3);

  assert.deepEqual(foreign, [], "no request goes to another host");
  assert.deepEqual(errors, [], "no script error");
  console.log(`ok: ${options - 1} examples, ${rows} rows, ${offered.length} hl: completions`);
} finally {
  await browser.close();
}
