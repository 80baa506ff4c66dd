#!/usr/bin/env node
/* check_page.js -- the browser tests' eyes: loads a report or dashboard page in Debian's
 * headless Chromium through playwright-core, waits until the page says it is drawn, and
 * checks what a person would see.
 *
 *   node check_page.js URL [--screenshot FILE] [--charts a,b,c] [--status ready]
 *                          [--interact] [--timeout MS] [--text TEXT]... [--wait-for TEXT]
 *                          [--chart-texts ELEMENT-ID]... [--sort-by COLUMN]...
 *
 * Prints one JSON line: {"status", "charts", "console", "page_errors", "ready_ms",
 * "load_ms", "table_total", "chart_texts", "sorted", "checks": [...], "failures": [...]}
 * and exits 1 when a
 * failure was found. Failures: any console message or page error (the app logs
 * nothing, so a message means something broke, a CSP violation included), a status
 * other than --status, a missing chart, a missing --text, a dialog (script injected
 * through study data), with --interact a table that does not sort, filter or page, and
 * with --wait-for a TEXT that does not appear within the timeout after the first draw
 * (how the dashboard test sees the page update as trials finish).
 * --chart-texts puts every text ECharts drew on that chart's canvas (axis names and
 * ticks, legend ends, handle labels) into chart_texts[ID] as {text, x, y}, the centre
 * of the text on the page in CSS pixels, for the tests to check what a person reads
 * where; a chart that is missing or drew nothing is a failure.
 * --sort-by clicks the table header named COLUMN once (ascending) and puts the trial
 * numbers of the first page, in the order shown, into sorted[COLUMN]; a header that is
 * missing or does not sort is a failure.
 * Needs CHROMIUM (default /usr/bin/chromium) and playwright-core (npm ci in <build>/web).
 */
"use strict";

const path = require("path");

function loadPlaywright() {
  const places = [process.env.HPS_NODE_MODULES, path.join(__dirname, "node_modules")].filter(Boolean);
  for (const dir of places) {
    try { return require(path.join(dir, "playwright-core")); } catch (e) { /* next */ }
  }
  try { return require("playwright-core"); } catch (e) {
    console.error("check_page.js: playwright-core not found (set HPS_NODE_MODULES to <build>/web/node_modules)");
    process.exit(2);
  }
}

function parseArgs(argv) {
  const opts = { url: null, screenshot: null, charts: [], status: "ready", interact: false,
                 timeout: 60000, texts: [], chartTexts: [], sortBy: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--screenshot") opts.screenshot = argv[++i];
    else if (a === "--charts") opts.charts = argv[++i].split(",").filter(Boolean);
    else if (a === "--status") opts.status = argv[++i];
    else if (a === "--interact") opts.interact = true;
    else if (a === "--timeout") opts.timeout = parseInt(argv[++i], 10);
    else if (a === "--text") opts.texts.push(argv[++i]);
    else if (a === "--wait-for") opts.waitFor = argv[++i];
    else if (a === "--chart-texts") opts.chartTexts.push(argv[++i]);
    else if (a === "--sort-by") opts.sortBy.push(argv[++i]);
    else if (!opts.url) opts.url = a;
    else { console.error("check_page.js: unexpected argument " + a); process.exit(2); }
  }
  if (!opts.url) { console.error("usage: check_page.js URL [options]"); process.exit(2); }
  return opts;
}

async function tableState(page) {
  return page.evaluate(() => {
    const t = document.getElementById("trial-table");
    if (!t) return null;
    const rows = Array.from(t.querySelectorAll("tbody tr")).map((tr) =>
      Array.from(tr.children).map((td) => td.textContent));
    const heads = Array.from(t.querySelectorAll("thead th")).map((th) => th.textContent);
    return { total: parseInt(t.getAttribute("data-total") || "-1", 10), heads, rows };
  });
}

/* The texts a chart drew on its canvas, read from its ECharts instance's display list
 * (what was painted), each with its centre transformed to page coordinates. */
async function chartTexts(page, id) {
  return page.evaluate((id) => {
    const div = document.getElementById(id);
    const chart = div && typeof echarts !== "undefined" ? echarts.getInstanceByDom(div) : null;
    if (!chart) return null;
    const origin = div.getBoundingClientRect();
    const out = [];
    chart.getZr().storage.getDisplayList(true).forEach((el) => {
      const text = el.style && el.style.text;
      if (text === undefined || text === null || text === "" || el.invisible) return;
      const box = el.getBoundingRect().clone();
      const m = el.getComputedTransform();
      if (m) box.applyTransform(m);
      out.push({ text: String(text), x: Math.round(origin.left + box.x + box.width / 2),
                 y: Math.round(origin.top + box.y + box.height / 2) });
    });
    return out;
  }, id);
}

async function waitTable(page, predicate, what, timeout) {
  const start = Date.now();
  let state = null;
  while (Date.now() - start < timeout) {
    state = await tableState(page);
    if (state && predicate(state)) return state;
    await page.waitForTimeout(50);
  }
  throw new Error("table: " + what + " (last: " + JSON.stringify(state && { total: state.total, first: state.rows[0] }) + ")");
}

/* Clicks the header named `label` and returns the first column (trial numbers) once the
 * table shows that column sorted ascending. */
async function sortBy(page, label, timeout) {
  const col = (await tableState(page)).heads.indexOf(label);
  if (col < 0) throw new Error("table: no column " + JSON.stringify(label));
  await page.locator("#trial-table thead th").nth(col).click();
  await page.waitForFunction((col) => {
    const th = document.querySelectorAll("#trial-table thead th")[col];
    return th && th.classList.contains("sorted") && !th.classList.contains("desc");
  }, col, { timeout });
  return (await tableState(page)).rows.map((r) => parseInt(r[0], 10));
}

async function interact(page, result, timeout) {
  const before = await waitTable(page, (s) => s.rows.length > 0, "no rows", timeout);
  const total = before.total;
  result.checks.push("table shows " + before.rows.length + " of " + total + " rows");
  const valueCol = 2; // number, state, then the (first) objective value
  // sort by the value column, descending on the second click
  const header = page.locator("#trial-table thead th").nth(valueCol);
  await header.click();
  await page.waitForFunction((col) => {
    const th = document.querySelectorAll("#trial-table thead th")[col];
    return th && th.classList.contains("sorted") && !th.classList.contains("desc");
  }, valueCol, { timeout });
  const sortedAsc = (await tableState(page)).rows.map((r) => parseFloat(r[valueCol])).filter((v) => !isNaN(v));
  for (let i = 1; i < sortedAsc.length; i++)
    if (sortedAsc[i] < sortedAsc[i - 1]) throw new Error("table: not sorted ascending by value: " + sortedAsc.slice(0, 6));
  await page.locator("#trial-table thead th").nth(valueCol).click();
  await page.waitForFunction((col) => {
    const th = document.querySelectorAll("#trial-table thead th")[col];
    return th && th.classList.contains("desc");
  }, valueCol, { timeout });
  const sortedDesc = (await tableState(page)).rows.map((r) => parseFloat(r[valueCol])).filter((v) => !isNaN(v));
  for (let i = 1; i < sortedDesc.length; i++)
    if (sortedDesc[i] > sortedDesc[i - 1]) throw new Error("table: not sorted descending by value");
  if (sortedAsc.length && sortedDesc.length && sortedDesc[0] < sortedAsc[0])
    throw new Error("table: descending starts below ascending");
  result.checks.push("table sorts by value both ways");
  // filter by state
  await page.selectOption("#trial-state", "PRUNED");
  const pruned = await waitTable(page, (s) => s.total !== total || s.total === 0, "state filter had no effect", timeout);
  if (pruned.rows.some((r) => r.length > 1 && r[1] !== "PRUNED"))
    throw new Error("table: state filter shows other states");
  result.checks.push("state filter: " + pruned.total + " PRUNED");
  await page.selectOption("#trial-state", "");
  await waitTable(page, (s) => s.total === total, "state filter not cleared", timeout);
  // text filter: a text no row has
  await page.fill("#trial-filter", "no-such-text-anywhere");
  await waitTable(page, (s) => s.total === 0, "text filter had no effect", timeout);
  await page.fill("#trial-filter", "");
  await waitTable(page, (s) => s.total === total, "text filter not cleared", timeout);
  result.checks.push("text filter narrows and clears");
  // paging
  if (total > before.rows.length) {
    const firstBefore = (await tableState(page)).rows[0][0];
    await page.click("text=next ›");
    await waitTable(page, (s) => s.rows.length && s.rows[0][0] !== firstBefore, "next page did not change rows", timeout);
    result.checks.push("paging moves to the next page");
  }
}

(async () => {
  const opts = parseArgs(process.argv.slice(2));
  const { chromium } = loadPlaywright();
  const result = { url: opts.url, status: null, charts: [], console: [], page_errors: [],
                   dialogs: [], ready_ms: null, load_ms: null, table_total: null,
                   chart_texts: {}, sorted: {}, checks: [], failures: [] };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("console", (msg) => result.console.push(msg.type() + ": " + msg.text()));
    page.on("pageerror", (err) => result.page_errors.push(String(err)));
    page.on("dialog", async (d) => { result.dialogs.push(d.message()); await d.dismiss(); });
    const t0 = Date.now();
    await page.goto(opts.url, { waitUntil: "load", timeout: opts.timeout });
    try {
      await page.waitForFunction(() => {
        const s = document.body && document.body.getAttribute("data-hps-status");
        return s && s !== "loading";
      }, null, { timeout: opts.timeout });
    } catch (e) {
      result.failures.push("page never finished loading: " + e.message.split("\n")[0]);
    }
    result.load_ms = Date.now() - t0;
    const state = await page.evaluate(() => ({
      status: document.body.getAttribute("data-hps-status"),
      charts: (document.body.getAttribute("data-hps-charts") || "").split(",").filter(Boolean),
      errors: document.body.getAttribute("data-hps-errors"),
      ready_ms: document.body.getAttribute("data-hps-ready-ms"),
      canvases: document.querySelectorAll("canvas").length,
      text: document.body.innerText,
      pwned: window.__pwned === undefined ? null : String(window.__pwned),
    }));
    result.status = state.status;
    result.charts = state.charts;
    result.ready_ms = state.ready_ms === null ? null : parseInt(state.ready_ms, 10);
    const table = await tableState(page);
    result.table_total = table ? table.total : null;
    if (state.status !== opts.status) result.failures.push("status " + state.status + ", expected " + opts.status);
    for (const c of opts.charts)
      if (!state.charts.includes(c)) result.failures.push("chart missing: " + c);
    if (opts.charts.some((c) => c !== "table") && state.canvases === 0) result.failures.push("no canvas drawn");
    for (const t of opts.texts)
      if (!state.text.includes(t)) result.failures.push("text missing: " + JSON.stringify(t));
    if (state.errors) result.failures.push("page noted errors: " + state.errors);
    if (state.pwned !== null) result.failures.push("injected script ran: window.__pwned = " + state.pwned);
    for (const id of opts.chartTexts) {
      const texts = await chartTexts(page, id);
      if (!texts || !texts.length) result.failures.push("no texts drawn on chart #" + id);
      result.chart_texts[id] = texts || [];
    }
    if (opts.waitFor) {
      const t1 = Date.now();
      try {
        await page.waitForFunction((t) => document.body.innerText.includes(t), opts.waitFor,
                                   { timeout: opts.timeout, polling: 200 });
        result.checks.push("saw " + JSON.stringify(opts.waitFor) + " after " + (Date.now() - t1) + " ms");
      } catch (e) {
        result.failures.push("never showed " + JSON.stringify(opts.waitFor));
      }
    }
    for (const label of opts.sortBy) {
      try { result.sorted[label] = await sortBy(page, label, 10000); } catch (e) { result.failures.push(e.message); }
    }
    if (opts.interact && state.status === "ready") {
      try { await interact(page, result, 10000); } catch (e) { result.failures.push(e.message); }
    }
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
  for (const m of result.console) result.failures.push("console " + m);
  for (const m of result.page_errors) result.failures.push("page error " + m);
  for (const m of result.dialogs) result.failures.push("dialog opened: " + m);
  console.log(JSON.stringify(result));
  process.exit(result.failures.length ? 1 : 0);
})().catch((e) => {
  console.log(JSON.stringify({ failures: ["check_page.js: " + e.message] }));
  process.exit(1);
});
