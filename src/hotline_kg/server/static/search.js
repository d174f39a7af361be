// The search page of the static site: the query of the address (?q=, ?limit=) searched in the
// index the site was written with (search-index.js, the server's ranking), its results shown as
// the server shows them, with JSON and CSV downloads of the same results.
import { el } from "./dom.js";
import { search } from "./search-index.js";

const form = document.querySelector("form.search");
const MAX_QUERY = Number(form.dataset.maxQuery);
const DEFAULT_LIMIT = Number(form.dataset.limit);
const MAX_LIMIT = Number(form.dataset.maxLimit);
const COLUMNS = form.dataset.columns.split(",");

const params = new URLSearchParams(location.search);
const place = form.nextElementSibling && form.nextElementSibling.matches("p.en") ? form.nextElementSibling : form; // as the server: after the help
const q = params.get("q") || "";
const limit = Math.min(MAX_LIMIT, Math.max(1, parseInt(params.get("limit") || "", 10) || DEFAULT_LIMIT));

const csvCell = (v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const download = (name, type, text) => el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name, text: name.split(".").pop().toUpperCase() });

function show(results) {
  const out = el("section", { class: "results" });
  const json = JSON.stringify({ query: q, count: results.length, results }, null, 1) + "\n";
  const csv = [COLUMNS, ...results.map((r) => COLUMNS.map((c) => r[c]))].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
  out.append(el("p", {}, `${results.length} 个结果 `, el("span", { class: "en", text: `${results.length} result${results.length === 1 ? "" : "s"} for “${q}”` }),
    " · ", download("search.json", "application/json", json), " · ", download("search.csv", "text/csv", csv)));
  if (!results.length) {
    out.append(el("p", {}, "没有找到。 ", el("span", { class: "en", text: "Nothing found." })));
  } else {
    const table = el("table", {}, el("tr", {}, el("th", {}, "中文 ", el("span", { class: "en", text: "Chinese" })), el("th", { text: "English" }),
      el("th", {}, "类别 ", el("span", { class: "en", text: "kind" })), el("th", {}, "代码 ", el("span", { class: "en", text: "code" }))));
    for (const r of results) {
      table.append(el("tr", {}, el("td", {}, el("a", { href: r.href, title: r.iri, text: r.label_zh || r.label_en || r.iri })),
        el("td", { class: "en", text: r.label_zh ? r.label_en : "" }), el("td", { text: r.kind }), el("td", {}, el("code", { text: r.code }))));
    }
    out.append(table);
    if (results.length === limit && limit < MAX_LIMIT) {
      out.append(el("p", {}, el("a", { href: `?${new URLSearchParams({ q, limit: MAX_LIMIT })}` }, "更多结果 ", el("span", { class: "en", text: "more results" }))));
    }
  }
  place.after(out);
}

async function run() {
  form.querySelector("input[name=q]").value = q;
  if (!q) return;
  if (q.length > MAX_QUERY) {
    place.after(el("p", { class: "error", text: `the query is ${q.length} characters long; at most ${MAX_QUERY} are searched for` }));
    return;
  }
  const response = await fetch(form.dataset.index);
  if (!response.ok) throw new Error(`${form.dataset.index}: ${response.status}`);
  show(search(await response.json(), q, limit));
}
run().catch((err) => place.after(el("p", { class: "error", text: `search: ${err.message}` })));
