// The search of server/search.py, over the index it exports (search.exported): the same tiers,
// in the same order, so that the static site ranks as the server does. Plain ES2020, no DOM:
// search.js runs it on the page, tests/js/search.test.mjs beside the server's answers.
const SEP = "\u0000";

// Text as the index compares it: NFKC, lower case, white space collapsed, control characters
// dropped (server/search.py normalize; JavaScript has no casefold: ß and a few others differ).
export function normalize(text) {
  const kept = text.normalize("NFKC").toLowerCase().replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}](?<!\s)/gu, "");
  return kept.split(/\s+/).filter(Boolean).join(" ");
}

function bisectRight(list, x) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < list[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// The rows not taken with a key containing needle, best ranked first, each once (_Keys.rows_with).
function* rowsWith(keys, needle, taken) {
  const seen = new Set();
  let pos = keys.text.indexOf(needle);
  while (pos !== -1) {
    const k = bisectRight(keys.starts, pos) - 1;
    const row = keys.rows[k];
    if (!taken.has(row) && !seen.has(row)) {
      seen.add(row);
      yield row;
    }
    pos = keys.text.indexOf(needle, keys.starts[k + 1]);
  }
}

const count = (text, word) => (word ? text.split(word).length - 1 : 0);

// The best `limit` rows for the query q, best first ([] for an empty query): SearchIndex.search.
export function search(index, q, limit = 20) {
  const query = normalize(q);
  if (!query || limit < 1) return [];
  const taken = new Map();
  const S = index.scores;
  const letters = query.replaceAll(" ", "").replaceAll("'", "");
  const pinyin = index.pinyin && /^[a-z]+$/.test(letters);
  const words = [...new Set(query.split(" "))].sort((a, b) => count(index.everything.text, a) - count(index.everything.text, b));
  function* scan(keys, needle, score) {
    for (const row of rowsWith(keys, needle, taken)) yield [score, row];
  }
  function* everyWord() {
    for (const row of rowsWith(index.everything, words[0], taken)) {
      if (words.slice(1).every((w) => index.texts[row].includes(w))) yield [index.scores.words, row];
    }
  }
  const tiers = [
    () => index.exact[query] || [],
    () => (pinyin ? index.exact[SEP + letters] || [] : []),
    () => scan(index.keys, SEP + query, S.prefix),
    () => (pinyin ? scan(index.pinyin_keys, SEP + letters, S["pinyin prefix"]) : []),
    () => scan(index.words, SEP + query, S.word),
    () => scan(index.keys, query, S.substring),
    () => (pinyin ? scan(index.syllables, SEP + letters, S["pinyin substring"]) : []),
    everyWord,
  ];
  outer: for (const tier of tiers) {
    for (const [score, row] of tier()) {
      if (!taken.has(row)) {
        taken.set(row, score);
        if (taken.size === limit) break outer;
      }
    }
  }
  const names = Object.fromEntries(Object.entries(S).map(([name, score]) => [score, name]));
  return [...taken].map(([row, score]) => {
    const [iri, kind, label_zh, label_en, code, href] = index.rows[row];
    return { iri, href, label_zh, label_en, kind, code, score, match: names[score] };
  });
}
