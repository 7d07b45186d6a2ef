// Debian's Chromium, driven by playwright-core, with the checks every page gets: axe-core
// (zero serious or critical violations), the page weight budget, and a screenshot.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const shotsDir = path.resolve(here, "../../../target/browser/screenshots");
mkdirSync(shotsDir, { recursive: true });

/** The page weight budget, in bytes: HTML, CSS and script, before images. */
export const PAGE_BUDGET = 100 * 1024;

/** Chromium; `args` adds switches (the guided camera's test gives it a fake camera). */
export async function launch({ args = [] } = {}) {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  return chromium.launch({
    executablePath,
    headless: true,
    // As root in a container without a network: no sandbox, no background traffic.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", ...args],
  });
}

/** A browser context; `bypassCSP` lets the test inject axe-core into pages whose CSP forbids inline script. */
export async function context(browser, options = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, locale: "en-GB", ...options });
  ctx.setDefaultTimeout(15000);
  return ctx;
}

/** Runs axe-core on the page; fails on any serious or critical violation. Returns all violations. */
export async function checkA11y(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name}: axe found serious or critical violations:\n${JSON.stringify(bad, null, 2)}`);
  return result;
}

/** Bytes the page transferred for HTML, CSS and script (not images), measured by the browser. */
export async function pageBytes(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    let total = nav ? nav.decodedBodySize : 0;
    for (const r of performance.getEntriesByType("resource")) {
      if (r.initiatorType === "img" || /\.(svg|png|jpe?g|webp|gif)(\?|$)/.test(r.name)) continue;
      total += r.decodedBodySize;
    }
    return total;
  });
}

/** A screenshot of the whole page, or of the first screen only on a phone (as a person sees it). */
export async function screenshot(page, name) {
  const phone = (page.viewportSize()?.width ?? 1280) < 500;
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: !phone });
}

/** The checks every page gets: accessible, within the weight budget, no horizontal scrolling. */
export async function checkPage(page, name, { shot = true } = {}) {
  const violations = await checkA11y(page, name);
  const bytes = await pageBytes(page);
  assert.ok(bytes <= PAGE_BUDGET, `${name}: ${bytes} bytes of HTML/CSS/JS exceeds the ${PAGE_BUDGET} budget`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${name}: the page scrolls sideways by ${overflow}px at ${page.viewportSize()?.width}px wide`);
  if (shot) await screenshot(page, name);
  report.push({ name, bytes, width: page.viewportSize()?.width, minor: violations.length });
  return { bytes, violations };
}

/** What every checked page measured, printed at the end. */
export const report = [];
