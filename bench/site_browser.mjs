// The static site's SPARQL and search in Chromium, timed (run by bench/site.py):
// node bench/site_browser.mjs SITE_URL QUERY
// prints one JSON line: the time to the first answer of QUERY on a cold page (a new browser
// context: nothing cached; the WebAssembly and the dump fetched and loaded), the load alone and
// what it loaded (quads, WebAssembly memory), the same query again (warm), the first answer
// after a reload (the HTTP cache warm, the store loaded again), and the search page's first
// results for "chaoyang" cold (its index fetched and parsed).
import { launch } from "../tests/js/browser.mjs";

const [site, query] = process.argv.slice(2);
const browser = await launch();
const answered = async (page) => {
  await page.locator("section.results p.summary, section.results p.error").first().waitFor({ timeout: 600000 });
  const error = await page.locator("section.results p.error").count();
  if (error) throw new Error(await page.locator("section.results p.error").textContent());
  return page.locator("section.results p.summary").textContent();
};
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const url = `${site}/query?${new URLSearchParams({ query })}`;
  let began = Date.now();
  await page.goto(url);
  await answered(page);
  const cold = Date.now() - began;
  const loaded = JSON.parse(await page.locator("form.sparql").getAttribute("data-loaded"));
  began = Date.now();
  await page.locator("form.sparql button[type=submit]").click();
  await page.locator("section.results p.busy").waitFor({ state: "detached", timeout: 600000 });
  const summary = await answered(page);
  const warm = Date.now() - began;
  began = Date.now();
  await page.reload();
  await answered(page);
  const reload = Date.now() - began;
  const reloaded = JSON.parse(await page.locator("form.sparql").getAttribute("data-loaded"));
  const searchContext = await browser.newContext();
  const searchPage = await searchContext.newPage();
  began = Date.now();
  await searchPage.goto(`${site}/search?q=chaoyang`);
  await searchPage.locator("section.results").waitFor();
  const search = Date.now() - began;
  console.log(JSON.stringify({ cold_ms: cold, load_ms: loaded.ms, quads: loaded.quads, memory: loaded.memory, warm_ms: warm, summary, reload_ms: reload, reload_load_ms: reloaded.ms, search_cold_ms: search }));
} finally {
  await browser.close();
}
