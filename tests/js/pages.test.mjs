// The pages as a reader uses them, in Chromium (driven by tests/test_browser.py):
// node tests/js/pages.test.mjs SERVER_URL [SCREENSHOT_DIR]
// clicks home → a district → one of its observations → the quote in the report text; searches
// "chaoyang" and "110105" from the header's box and finds 朝阳区; walks the header by keyboard;
// checks phone width, labels instead of IRIs, that no script gets in through a query, a search or
// a path, that the Content-Security-Policy is met (no violation), and that nothing is loaded from
// another host. With SCREENSHOT_DIR, saves one screenshot of each kind of page there.
// Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { launch, watch } from "./browser.mjs";

const [url, shots] = process.argv.slice(2);
assert.ok(url, "usage: node pages.test.mjs SERVER_URL [SCREENSHOT_DIR]");
const browser = await launch();
const dialogs = [];
const shot = async (page, name) => {
  if (shots) await page.screenshot({ path: `${shots}/page-${name}.png`, fullPage: false });
};
// No label on a page is a bare IRI: every property (a table heading) and every link to a page of
// the data reads as words (an IRI with no label, such as a licence, may show as itself).
const noRawIris = async (page, where) => {
  const texts = await page.locator('main th, main a[href^="/id/"]').allTextContents();
  const raw = texts.map((t) => t.trim()).filter((t) => /^(https?|urn):/.test(t));
  assert.deepEqual(raw, [], `${where}: IRIs shown as labels`);
};
// At a phone's width the page needs no sideways scrolling.
const fitsPhone = async (page, where) => {
  await page.setViewportSize({ width: 390, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 391, `${where} is ${wide}px wide at a phone's 390px`);
  await page.setViewportSize({ width: 1100, height: 1000 });
};

try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  // CSP violations ("Refused to …") and failed loads are console errors; the 4xx a page or a bad
  // query is meant to get is not one (a script or stylesheet that fails to load is)
  const { foreign, errors } = watch(
    page,
    new URL(url).origin,
    (m) => /status of 4\d\d/.test(m.text()) && !m.location().url.includes("/static/"),
  );
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });

  // home: headline figures and charts; a district's bar leads to the district's page
  await page.goto(url + "/");
  assert.equal(await page.getAttribute("html", "lang"), "zh-Hans");
  assert.ok((await page.locator(".figures .figure").count()) > 0, "the home page shows headline figures");
  assert.ok((await page.locator("main svg.chart").count()) >= 2, "the home page has charts");
  assert.ok((await page.locator("main [lang=en]").count()) > 0, "English text is marked lang=en");
  await shot(page, "home");
  await fitsPhone(page, "the home page");
  const district = page.locator('main svg a[href^="/id/district/"]').first();
  const districtHref = await district.getAttribute("href");
  await district.click();
  await page.waitForURL(url + districtHref);

  // district: labelled rows, a chart of its two levels as shares, its observations
  assert.ok((await page.locator("main svg.chart").count()) > 0, "a district's page has a chart");
  await noRawIris(page, "a district's page");
  const curie = await page.locator(".props th a[title]").first().getAttribute("title");
  assert.match(curie, /^[a-z]+:\w/, "a property's CURIE shows on hover");
  await shot(page, "district");
  await fitsPhone(page, "a district's page");
  const observation = page.locator('main table a[href^="/id/obs/"]').first();
  const obsHref = await observation.getAttribute("href");
  await observation.click();
  await page.waitForURL(url + obsHref);

  // observation: the quote with its figure marked, and a link to the line it came from
  const quote = page.locator("blockquote.quote");
  const marked = (await quote.locator("mark").textContent()).trim();
  assert.ok(marked.length > 0, "the figure is marked in the quote");
  await noRawIris(page, "an observation's page");
  await shot(page, "observation");
  const source = page.locator('main a[href^="/reports/"]').first();
  const sourceHref = await source.getAttribute("href");
  assert.match(sourceHref, /#L\d+$/, "the source link names its line");
  await source.click();
  await page.waitForURL(url + sourceHref);
  const line = page.locator(sourceHref.slice(sourceHref.indexOf("#")));
  assert.ok((await line.textContent()).includes(marked), "the linked line holds the marked figure");
  assert.ok(await page.evaluate(() => document.querySelector(":target") !== null), "the line is the target");
  await shot(page, "report-text");

  // search from the header's box, by pinyin and by code
  for (const q of ["chaoyang", "110105"]) {
    await page.goto(url + "/");
    const box = page.locator("header input[type=search]");
    await box.fill(q);
    await box.press("Enter");
    await page.waitForURL(/\/search\?q=/);
    const found = await page.locator("main table a").allTextContents();
    assert.ok(found.some((t) => t.trim() === "朝阳区"), `"${q}" finds 朝阳区: ${found.slice(0, 5)}`);
    assert.ok((await page.locator('main a[href^="/search.json"]').count()) > 0, "the JSON twin is linked");
  }
  await shot(page, "search");
  await fitsPhone(page, "the search page");

  // keyboard: Tab walks the header's links in order and reaches the search box; Enter searches
  await page.goto(url + "/");
  const seen = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e.tagName, href: e.getAttribute("href"), type: e.getAttribute("type") };
    });
    seen.push(focused);
    if (focused.type === "search") break;
  }
  assert.deepEqual(
    seen.slice(0, 2).map((f) => f.href),
    ["/", "/query"],
    "Tab starts at the header's links",
  );
  assert.equal(seen.at(-1).type, "search", "Tab reaches the search box");
  await page.keyboard.type("物业");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\?q=/);
  assert.ok((await page.locator("main table a").count()) > 0, "a search typed by keyboard finds results");
  await page.keyboard.press("Tab");
  assert.ok(
    await page.evaluate(() => document.activeElement.closest("main, header") !== null),
    "focus moves on from the search box",
  );

  // the vocabulary and a page that is not there
  await page.goto(url + "/def/hotline");
  await noRawIris(page, "the ontology's page");
  await shot(page, "ontology");
  const missing = await page.goto(url + "/id/nothing-here");
  assert.equal(missing.status(), 404);
  await shot(page, "404");

  // no script gets in: through a search, a query, a path
  const payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
  for (const path of [
    `/search?${new URLSearchParams({ q: payload })}`,
    `/query?${new URLSearchParams({ query: `SELECT * WHERE { ?s ?p "${payload}" }` })}`,
    `/query?${new URLSearchParams({ query: payload })}`,
    `/id/${encodeURIComponent(payload)}`,
    `/sparql?${new URLSearchParams({ query: payload })}`,
  ]) {
    await page.goto(url + path);
    await page.waitForTimeout(200);
    assert.equal(await page.locator("script:not([src])").count(), 0, `${path}: an inline script in the page`);
    assert.equal(await page.locator("img[onerror]").count(), 0, `${path}: an injected element`);
  }
  assert.deepEqual(dialogs, [], "no injected script ran");

  assert.deepEqual(foreign, [], "no request goes to another host");
  assert.deepEqual(errors, [], "no script error and no Content-Security-Policy violation");
  console.log(`ok: home → ${districtHref} → ${obsHref} → ${sourceHref}; searches found 朝阳区`);
} finally {
  await browser.close();
}
