// The query page's editor, as progressive enhancement of its form (plain ES2020, no dependency):
// highlighting, completion of prefixes and of the dataset's terms, the examples in a picker,
// results as a paged table or a bar chart, a shareable URL and downloads. Without it the form
// still posts and the server shows the results.
import { el } from "./dom.js";

const form = document.querySelector("form.sparql");
const area = form.querySelector("textarea");
const BASE = form.dataset.base;
const VOCAB = form.dataset.vocab;
const CANONICAL = form.dataset.canonical;
const PREFIXES = JSON.parse(form.dataset.prefixes || "{}");
const PAGE = 100;
const RESULTS = "application/sparql-results+json";
const XSD = "http://www.w3.org/2001/XMLSchema#";
const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger", "positiveInteger"].map((t) => XSD + t));
const KEYWORDS = ("SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED PREFIX BASE DISTINCT REDUCED AS OPTIONAL FILTER UNION MINUS GRAPH SERVICE BIND VALUES " +
  "GROUP BY ORDER HAVING LIMIT OFFSET ASC DESC NOT EXISTS IN COUNT SUM AVG MIN MAX SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE " +
  "BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY " +
  "NOW COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX REPLACE SUBSTR TRUE FALSE").split(" ");
const KEYWORD = new Set(KEYWORDS);
const TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(<[^<>"{}|^`\\\s]*>)|([?$][\w\u00b7\u00c0-\uffff]+)|((?:[A-Za-z][\w.-]*)?:(?:[\w\u00c0-\uffff-]|\.(?=[\w-]))*)|(@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\b[A-Za-z_]+\b)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)/g;
const CLASSES = ["comment", "string", "iri", "var", "pname", "word", "number"];

const escape = (s) => s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);

// --- the editor: the textarea over a highlighted <pre> ---------------------------------------------
const editor = el("div", { class: "editor" });
const pre = el("pre", { class: "highlight", "aria-hidden": "true" });
area.replaceWith(editor);
editor.append(pre, area);
area.classList.add("code");

function highlight(text) {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += escape(text.slice(last, m.index));
    const i = m.slice(1).findIndex((g) => g !== undefined);
    let cls = CLASSES[i];
    if (cls === "word") cls = KEYWORD.has(m[0].toUpperCase()) || m[0] === "a" ? "kw" : m[0].startsWith("@") ? "lang" : "";
    out += cls ? `<span class="${cls}">${escape(m[0])}</span>` : escape(m[0]);
    last = m.index + m[0].length;
  }
  return out + escape(text.slice(last)) + "\n";
}
function sync() {
  pre.innerHTML = highlight(area.value);
  pre.scrollTop = area.scrollTop;
  pre.scrollLeft = area.scrollLeft;
}
area.addEventListener("input", sync);
area.addEventListener("scroll", () => {
  pre.scrollTop = area.scrollTop;
  pre.scrollLeft = area.scrollLeft;
});
function setQuery(text) {
  area.value = text;
  sync();
}

// --- completion ------------------------------------------------------------------------------------
const list = el("ul", { class: "complete", role: "listbox", hidden: "" });
editor.append(list);
let terms = null; // prefixed names of the dataset's classes and properties, read once
let choices = [];
let chosen = 0;

function curie(iri) {
  let best = "";
  let found = null;
  for (const [p, ns] of Object.entries(PREFIXES)) {
    const local = iri.slice(ns.length);
    if (iri.startsWith(ns) && ns.length > best.length && /^[\w-]*$/.test(local)) {
      best = ns;
      found = `${p}:${local}`;
    }
  }
  return found;
}
async function loadTerms() {
  if (terms) return terms;
  terms = [];
  const query = `SELECT DISTINCT ?t WHERE {
  { ?t ?p ?o FILTER (STRSTARTS(STR(?t), "${VOCAB}#")) } UNION { [] a ?t } UNION { [] ?t [] }
  UNION { GRAPH ?g { [] a ?t } } UNION { GRAPH ?g { [] ?t [] } } } LIMIT 5000`;
  try {
    const data = await sparql(query);
    const names = data.results.bindings.map((b) => b.t && b.t.type === "uri" && curie(b.t.value)).filter(Boolean);
    terms = [...new Set(names)].sort();
  } catch (err) {
    console.warn("completion terms:", err);
  }
  return terms;
}

function wordBefore() {
  const before = area.value.slice(0, area.selectionStart);
  const m = before.match(/(?:[A-Za-z][\w.-]*)?:[\w-]*$|[A-Za-z_][\w-]*$/);
  return m ? m[0] : "";
}
async function complete(force) {
  const word = wordBefore();
  if (!word && !force) return close();
  let options;
  if (word.includes(":")) {
    const prefix = word.slice(0, word.indexOf(":"));
    if (!(prefix in PREFIXES) && !force) return close();
    const known = await loadTerms();
    if (wordBefore() !== word) return; // typed on meanwhile: that input completes
    options = known.filter((t) => t.startsWith(word) && t !== word).map((t) => ({ text: t, insert: t, prefix }));
  } else {
    if (!force && word.length < 2) return close();
    const low = word.toLowerCase();
    options = [
      ...Object.keys(PREFIXES).filter((p) => p.startsWith(low)).map((p) => ({ text: `${p}: <${PREFIXES[p]}>`, insert: `${p}:`, prefix: p })),
      ...KEYWORDS.filter((k) => k.startsWith(word.toUpperCase()) && k !== word.toUpperCase()).map((k) => ({ text: k, insert: k })),
    ];
  }
  show(options.slice(0, 50), word);
}
function show(options, word) {
  choices = options.map((o) => ({ ...o, word }));
  chosen = 0;
  list.replaceChildren(...choices.map((c, i) => el("li", { role: "option", "data-i": String(i), text: c.text })));
  list.hidden = choices.length === 0;
  mark();
}
function mark() {
  [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === chosen)));
  if (list.children[chosen]) list.children[chosen].scrollIntoView({ block: "nearest" });
}
function close() {
  list.hidden = true;
  choices = [];
}
function accept(choice) {
  const at = area.selectionStart - choice.word.length;
  let text = area.value.slice(0, at) + choice.insert + area.value.slice(area.selectionStart);
  let caret = at + choice.insert.length;
  const p = choice.prefix;
  if (p !== undefined && !new RegExp(`PREFIX\\s+${p.replace(/[.-]/g, "\\$&")}:`, "i").test(text)) {
    const line = `PREFIX ${p}: <${PREFIXES[p]}>\n`;
    const first = text.search(/^\s*(PREFIX|BASE|SELECT|CONSTRUCT|DESCRIBE|ASK)\b/im);
    const where = first < 0 ? 0 : text.slice(first).search(/\S/) + first;
    text = text.slice(0, where) + line + text.slice(where);
    if (where <= caret) caret += line.length;
  }
  setQuery(text);
  area.setSelectionRange(caret, caret);
  area.focus();
  close();
}
area.addEventListener("keydown", (e) => {
  if (e.key === " " && e.ctrlKey) {
    e.preventDefault();
    complete(true);
  } else if (!list.hidden && choices.length) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      chosen = (chosen + (e.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
      mark();
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      accept(choices[chosen]);
    } else if (e.key === "Escape") close();
  } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
area.addEventListener("input", () => complete(false));
area.addEventListener("blur", () => setTimeout(close, 150));
list.addEventListener("mousedown", (e) => {
  const li = e.target.closest("li");
  if (li) {
    e.preventDefault();
    accept(choices[Number(li.dataset.i)]);
  }
});

// --- the examples in a picker ----------------------------------------------------------------------
const examples = [...document.querySelectorAll("ul.examples a")].map((a) => ({
  name: a.dataset.name,
  title: a.textContent,
  text: new URL(a.href).searchParams.get("query"),
}));
const picker = el("select", { class: "picker", "aria-label": "示例 / examples" }, el("option", { value: "", text: "示例 / examples …" }));
examples.forEach((x, i) => picker.append(el("option", { value: String(i), text: x.title })));
picker.addEventListener("change", () => {
  if (picker.value === "") return;
  setQuery(examples[Number(picker.value)].text);
  run();
});
const actions = form.querySelector(".actions");
actions.append(" ", picker);

// --- running a query -------------------------------------------------------------------------------
// On the server, the endpoint answers; on the static site (data-engine="browser"), Oxigraph in a
// Web Worker (sparql-worker.js) over the build's dump, loaded on the first query with a progress
// bar. The worker is stopped at the time limit (and started anew, the dump loaded again, for the
// next query); it checks the row limit itself.
const IN_BROWSER = form.dataset.engine === "browser";
const TIMEOUT = Number(form.dataset.timeout || 0) * 1000;
const MAX_ROWS = Number(form.dataset.maxRows || 0);
let worker = null;
let asked = 0;

function startWorker() {
  const w = new Worker(new URL("./sparql-worker.js", import.meta.url), { type: "module" });
  const bar = el("progress", { max: "1", "aria-label": "加载数据 / loading the data" });
  const note = el("p", { class: "loading" }, "加载数据 / loading the data … ", bar);
  out.replaceChildren(note);
  w.pending = new Map(); // id → {resolve, reject, timer}: each answer goes to its own query
  w.ready = new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      const m = e.data;
      if (m.id !== undefined) {
        const asked = w.pending.get(m.id);
        if (!asked) return;
        w.pending.delete(m.id);
        clearTimeout(asked.timer);
        if (m.error) asked.reject(new Error(m.error));
        else asked.resolve(m);
      } else if (m.progress !== undefined) {
        if (m.total) bar.value = m.progress / m.total;
        else bar.removeAttribute("value");
      } else if (m.ready) {
        note.remove();
        form.dataset.loaded = JSON.stringify(m); // what was loaded, how long it took (read by bench/site.py)
        resolve(m);
      } else if (m.failed) reject(new Error(m.failed));
    };
    w.onerror = (e) => reject(new Error(e.message || "the query engine could not start"));
  });
  w.postMessage({ load: form.dataset.dump });
  return w;
}

async function ready() {
  if (!worker) worker = startWorker();
  const w = worker;
  try {
    await w.ready;
  } catch (err) {
    if (worker === w) worker = null;
    throw err;
  }
  return w;
}

// A query in the worker; past the time limit the worker is stopped, and every query it had
// is answered with the limit's error.
async function inBrowser(query, accept) {
  const w = await ready();
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.terminate();
      if (worker === w) worker = null;
      for (const other of w.pending.values()) {
        clearTimeout(other.timer);
        other.reject(new Error(`503: the query ran for ${TIMEOUT / 1000} s, the limit, and was stopped`));
      }
      w.pending.clear();
    }, TIMEOUT);
    w.pending.set(id, { resolve, reject, timer });
    w.postMessage({ id, query, accept, maxRows: MAX_ROWS });
  });
}

async function sparql(query, accept = RESULTS) {
  if (form.dataset.engine === "server") throw new Error("the dataset is too large to query in a browser");
  if (IN_BROWSER) {
    const answer = await inBrowser(query, accept);
    return answer.type === RESULTS ? JSON.parse(answer.body) : { graph: answer.body };
  }
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query }),
  });
  if (!response.ok) throw new Error(`${response.status}: ${(await response.text()).trim()}`);
  const type = response.headers.get("Content-Type") || "";
  return type.startsWith(RESULTS) ? response.json() : { graph: await response.text() };
}

const out = el("section", { class: "results", "aria-live": "polite" });
form.after(out);
const DOWNLOADS = { csv: "text/csv", tsv: "text/tab-separated-values", json: RESULTS };
function downloadLink(query, f) {
  const a = el("a", { href: `/sparql?${new URLSearchParams({ query, format: f })}`, download: `results.${f}`, text: f.toUpperCase() });
  if (IN_BROWSER) { // no endpoint: the file is made here, from the same query
    a.addEventListener("click", async (e) => {
      if (a.dataset.ready) return;
      e.preventDefault();
      try {
        const answer = await inBrowser(query, DOWNLOADS[f]);
        a.href = URL.createObjectURL(new Blob([answer.body], { type: answer.type }));
        a.dataset.ready = "1";
        a.click();
      } catch (err) {
        out.prepend(el("p", { class: "error" }, el("strong", { text: err.message })));
      }
    });
  }
  return a;
}
const downloads = (query) =>
  el("span", { class: "downloads" }, " · download: ", ...Object.keys(DOWNLOADS).flatMap((f, i) => [i ? " · " : "", downloadLink(query, f)]));

async function run() {
  close();
  const query = area.value;
  if (form.dataset.engine === "server") { // a static site too large for the browser: its server answers, if it has one
    if (form.dataset.server) location.assign(`${form.dataset.server}/query?${new URLSearchParams({ query })}`);
    else out.replaceChildren(el("p", { class: "error" }, el("strong", { text: "the dataset is too large to query in a browser" })));
    return;
  }
  history.replaceState(null, "", `${location.pathname}?${new URLSearchParams({ query })}`);
  const old = actions.querySelector(".downloads");
  if (old) old.remove();
  const links = downloads(query);
  picker.before(links, " ");
  const server = document.getElementById("server-results");
  if (server) server.remove();
  out.replaceChildren(el("p", { class: "busy", text: "运行中 / running …" }));
  let started = performance.now();
  let data;
  try {
    if (IN_BROWSER) {
      if (/(^|[^\w:?$])SERVICE\s/i.test(query.replace(/#[^\n]*/g, ""))) throw new Error("federated queries (SERVICE) need the server: this site runs queries in your browser only");
      await ready(); // the first query loads the data: not counted in its time
      out.replaceChildren(el("p", { class: "busy", text: "运行中 / running …" }));
      started = performance.now();
    }
    data = await sparql(query, `${RESULTS},application/n-triples;q=0.75`);
  } catch (err) {
    out.replaceChildren(el("p", { class: "error" }, el("strong", { text: err.message })));
    return;
  }
  const ms = Math.round(performance.now() - started);
  if (data.graph !== undefined) {
    const lines = data.graph.split("\n").filter(Boolean);
    return render(["triples"], lines.map((l) => ({ triples: { type: "literal", value: l } })), ms);
  }
  if (IN_BROWSER) { // the answer in hand is the JSON download: a plain link to it, nothing run again
    const json = links.querySelector('a[download="results.json"]');
    json.href = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: RESULTS }));
    json.dataset.ready = "1";
  }
  if ("boolean" in data) return render(["ASK"], [{ ASK: { type: "literal", value: String(data.boolean) } }], ms);
  const labels = await loadLabels(data.results.bindings);
  render(data.head.vars, data.results.bindings, ms, labels);
}

async function loadLabels(bindings) {
  const iris = new Set();
  for (const b of bindings) for (const c of Object.values(b)) if (c.type === "uri" && iris.size < 1000) iris.add(c.value);
  const labels = new Map();
  if (!iris.size) return labels;
  const values = [...iris].map((i) => `<${i}>`).join(" ");
  const query = `SELECT ?s ?l WHERE { VALUES ?s { ${values} } ?s <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label> ?l }`;
  try {
    const rank = (l) => ({ zh: 0, "zh-hans": 0, en: 1 })[(l["xml:lang"] || "").toLowerCase()] ?? 2;
    const best = new Map();
    for (const b of (await sparql(query)).results.bindings) {
      const had = best.get(b.s.value);
      if (!had || rank(b.l) < rank(had)) best.set(b.s.value, b.l);
    }
    for (const [s, l] of best) labels.set(s, l.value);
  } catch (err) {
    console.warn("labels:", err);
  }
  return labels;
}

function local(iri) {
  if (iri.startsWith(BASE)) return "/" + iri.slice(BASE.length);
  if (iri.startsWith(VOCAB)) return "/" + iri.slice(CANONICAL.length);
  return iri;
}
const isNumber = (c) => c && c.type !== "uri" && NUMERIC.has(c.datatype);

function cell(c, labels) {
  if (!c) return el("td");
  if (c.type === "uri") {
    const label = labels.get(c.value) || curie(c.value) || c.value;
    // a link only to a web address: an IRI such as <javascript:…> is shown, never followed
    if (!/^https?:\/\//.test(c.value)) return el("td", { title: c.value, text: label });
    return el("td", {}, el("a", { href: local(c.value), title: c.value, text: label }));
  }
  if (c.type === "bnode") return el("td", { class: "bnode", text: `_:${c.value}` });
  const td = el("td", { text: c.value });
  if (isNumber(c)) td.className = "num";
  else if (c["xml:lang"]) td.append(el("span", { class: "lang", text: ` @${c["xml:lang"]}` }));
  return td;
}

function render(vars, rows, ms, labels = new Map()) {
  const tableView = el("div", { class: "view" });
  const chartView = el("div", { class: "view", hidden: "" });
  const tabs = el("p", { class: "tabs", role: "tablist" });
  const tab = (name, view, other) => {
    const b = el("button", { type: "button", role: "tab", "aria-selected": String(view === tableView), text: name });
    b.addEventListener("click", () => {
      view.hidden = false;
      other.hidden = true;
      tabs.querySelectorAll("button").forEach((x) => x.setAttribute("aria-selected", String(x === b)));
    });
    return b;
  };
  tabs.append(tab("表格 / table", tableView, chartView), tab("图表 / chart", chartView, tableView));
  const summary = el("p", { class: "summary", text: `${rows.length} 行 rows · ${ms} ms` });
  out.replaceChildren(summary, tabs, tableView, chartView);
  pageTable(tableView, vars, rows, labels, 0);
  chart(chartView, vars, rows, labels);
}

function pageTable(view, vars, rows, labels, page) {
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const table = el("table", { class: "rows" }, el("thead", {}, el("tr", {}, ...vars.map((v) => el("th", { text: v })))));
  const body = el("tbody");
  for (const row of rows.slice(page * PAGE, (page + 1) * PAGE)) body.append(el("tr", {}, ...vars.map((v) => cell(row[v], labels))));
  table.append(body);
  const nav = el("p", { class: "pager" });
  if (pages > 1) {
    const go = (p, text) => {
      const b = el("button", { type: "button", text });
      if (p < 0 || p >= pages) b.disabled = true;
      b.addEventListener("click", () => pageTable(view, vars, rows, labels, p));
      return b;
    };
    const first = page * PAGE + 1;
    const last = Math.min(rows.length, (page + 1) * PAGE);
    nav.append(go(page - 1, "‹ 上一页 / prev"), ` ${first}–${last} / ${rows.length} `, go(page + 1, "下一页 / next ›"));
  }
  view.replaceChildren(table, nav);
}

// --- a bar chart of two columns --------------------------------------------------------------------
function chart(view, vars, rows, labels) {
  const numeric = vars.filter((v) => rows.some((r) => isNumber(r[v])));
  if (!numeric.length) {
    view.replaceChildren(el("p", { text: "没有数值列 / no numeric column to chart" }));
    return;
  }
  const text = (c) => (!c ? "" : c.type === "uri" ? labels.get(c.value) || curie(c.value) || c.value : c.value);
  const labelSel = el("select", { "aria-label": "label column" }, ...vars.map((v) => el("option", { value: v, text: v })));
  const valueSel = el("select", { "aria-label": "value column" }, ...numeric.map((v) => el("option", { value: v, text: v })));
  labelSel.value = vars.find((v) => !numeric.includes(v)) || vars[0];
  const svgBox = el("figure", { class: "chart" });
  const draw = () => {
    const NS = "http://www.w3.org/2000/svg";
    const data = rows.slice(0, 200).map((r) => [text(r[labelSel.value]), Number(r[valueSel.value] ? r[valueSel.value].value : NaN)]).filter(([, n]) => Number.isFinite(n));
    const max = Math.max(0, ...data.map(([, n]) => n));
    const min = Math.min(0, ...data.map(([, n]) => n));
    const W = 720, bar = 18, left = 220, right = 70, span = max - min || 1;
    const x = (n) => left + ((n - min) / span) * (W - left - right);
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${data.length * bar + 10}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${valueSel.value} by ${labelSel.value}`);
    const add = (name, attrs, content) => {
      const node = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (content !== undefined) node.textContent = content;
      svg.append(node);
    };
    data.forEach(([label, n], i) => {
      const y = i * bar + 5;
      add("text", { x: left - 6, y: y + 13, "text-anchor": "end", class: "label" }, label.length > 28 ? label.slice(0, 27) + "…" : label);
      add("rect", { x: Math.min(x(0), x(n)), y: y + 2, width: Math.max(1, Math.abs(x(n) - x(0))), height: bar - 4, class: n < 0 ? "bar neg" : "bar" });
      add("text", { x: Math.max(x(0), x(n)) + 4, y: y + 13, class: "value" }, n.toLocaleString());
    });
    svgBox.replaceChildren(svg);
  };
  labelSel.addEventListener("change", draw);
  valueSel.addEventListener("change", draw);
  view.replaceChildren(el("p", { class: "axes" }, "标签 / label ", labelSel, " 数值 / value ", valueSel), svgBox);
  draw();
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
// A shared URL (?query=) runs its query: the server put it in the form; a static page holds an
// example there, so it is taken from the URL.
const shared = new URLSearchParams(location.search).get("query");
if (shared !== null) setQuery(shared);
sync();
if (shared !== null) run();
