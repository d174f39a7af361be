// What the browser tests share: Debian's Chromium launched as CI can run it, and a watch on a
// page that collects every request to another host and every script or console error.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking"],
  });
}

// Collects into `foreign` each request that leaves `origin` (data: URLs aside) and into `errors`
// each page error and console error (CSP violations are console errors) that `expected` does not
// excuse.
export function watch(page, origin, expected = () => false) {
  const foreign = [];
  const errors = [];
  page.on("request", (r) => {
    if (new URL(r.url()).origin !== origin && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !expected(m)) errors.push(`${m.text()} ${m.location().url}`);
  });
  return { foreign, errors };
}
