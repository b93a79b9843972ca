// Browser test of the admin page (/admin/tiktok-shop) in headless Chromium.
//
// Starts its own redis-server, the TikTok Shop sandbox and shopsync on free
// loopback ports (the same environment as tests/integration/harness.py),
// imports a small catalog through the API, then drives the page as a person
// would: sign in, connect through the sandbox's authorize page, sync, buy on
// the sandbox, edit stock inline, edit a channel rule inline (a bad value
// too), disconnect. Any console error or uncaught page error fails the run;
// the first visit of a page must log none at all, and later only Chrome's own
// "Failed to load resource" lines for the 401/404/409 answers the page
// expects (a wrong token), and the one 400 of the refused rule, are let
// through.
//
// Run: node admin_page.test.mjs (ctest runs it as browser.admin_page).
// Env: SHOPSYNC_BIN, SHOPSYNC_SANDBOX_BIN, SHOPSYNC_SOURCE_DIR,
//      SHOPSYNC_ARTIFACTS_DIR (screenshots and logs), CHROMIUM (default /usr/bin/chromium).
// Prints "ok - ..." / "FAIL - ..." lines and ends with "browser: N passed, M failed".

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = process.env.SHOPSYNC_SOURCE_DIR || path.resolve(HERE, '..', '..');
const SHOPSYNC_BIN = process.env.SHOPSYNC_BIN || path.join(SOURCE_DIR, 'build', 'shopsync');
const SANDBOX_BIN = process.env.SHOPSYNC_SANDBOX_BIN || path.join(SOURCE_DIR, 'build', 'shopsync-sandbox');
const ARTIFACTS = process.env.SHOPSYNC_ARTIFACTS_DIR || path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const ADMIN_TOKEN = 'browser-admin-token-0123456789';
const SECRET_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const APP_KEY = 'sandbox_app_key';
const APP_SECRET = 'sandbox_app_secret';
const SERVICE_ID = '7100000000000000001';
const STRIPE_SECRET = 'whsec_browser_secret';
const SHOP_NAME = 'Sandbox Candle Co';

const OVERALL_TIMEOUT_MS = 240_000;
const REFRESH_WAIT_MS = 3_500;      // a little more than the page's 3 s refresh // below ctest's TIMEOUT 300, so cleanup always runs
const SOLD_SKU = 'CED-8OZ';         // bought on the sandbox (stock 8 -> 6)
const EDIT_SKU = 'LAV-8OZ';         // edited inline (stock 12 -> 7)
const BROKEN_ID = 'broken-image-soap';
const RULE_SKU = 'CIT-BAR';         // its channel rule edited inline (stock 40)

// ------------------------------------------------------------------ checks
let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) { passed += 1; console.log(`ok - ${what}`); } else { failed += 1; console.log(`FAIL - ${what}`); }
  return !!cond;
}
function fail(what) { return check(false, what); }

/** Run one step; an exception fails it (and is reported) instead of stopping the run. */
async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    console.log(`# step "${name}" took ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return true;
  } catch (e) {
    fail(`${name}: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
    if (e && e.stack) console.log(e.stack.split('\n').slice(0, 6).map((l) => '    # ' + l).join('\n'));
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(pred, { timeout = 10_000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await pred();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(interval);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// --------------------------------------------------------------- processes
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const children = [];

function startProc(name, argv, env) {
  const logPath = path.join(ARTIFACTS, `${name}.log`);
  const fd = fs.openSync(logPath, 'w');
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const entry = { name, child, logPath, exited: false, code: null, signal: null };
  child.on('exit', (code, signal) => { entry.exited = true; entry.code = code; entry.signal = signal; });
  child.on('error', (e) => { entry.exited = true; entry.error = e; });
  children.push(entry);
  return entry;
}

async function stopAll() {
  for (const c of children.slice().reverse()) {
    if (c.exited || c.child.exitCode !== null || c.child.signalCode !== null) continue;
    const done = new Promise((r) => c.child.once('exit', r));
    try { c.child.kill('SIGTERM'); } catch (_) { /* already gone */ }
    const t = setTimeout(() => { try { c.child.kill('SIGKILL'); } catch (_) { /* gone */ } }, 10_000);
    await done;
    clearTimeout(t);
  }
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (_) { return ''; }
}

async function httpOk(url) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch (_) { return false; }
}

async function api(method, url, body, headers = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(15_000) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(url, init);
  const text = await r.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (_) { doc = text; }
  return { status: r.status, doc };
}

function catalog(base) {
  const img = (name) => `${base}/static/${name}`;
  return {
    products: [
      {
        id: 'lavender-candle', title: 'Lavender Candle', description: '<p>Hand poured soy wax with lavender oil.</p>',
        images: [img('sample-lavender.png')], category_id: '600001',
        skus: [
          { sku: 'LAV-8OZ', price: '24.00', currency: 'USD', stock: 12, attributes: { Size: '8 oz' } },
          { sku: 'LAV-16OZ', price: '38.00', currency: 'USD', stock: 5, attributes: { Size: '16 oz' } },
        ],
      },
      {
        id: 'cedar-candle', title: 'Cedarwood Candle', description: '<p>Warm cedar and amber.</p>',
        images: [img('sample-cedar.png')],
        skus: [{ sku: 'CED-8OZ', price: '26.00', currency: 'USD', stock: 8, attributes: { Size: '8 oz' } }],
      },
      {
        id: 'citrus-soap', title: 'Citrus Bar Soap', description: '<p>Cold process soap with orange peel.</p>',
        images: [img('sample-citrus.png')],
        skus: [{ sku: 'CIT-BAR', price: '9.50', currency: 'USD', stock: 40 }],
      },
      {
        id: BROKEN_ID, title: 'Broken Image Soap', description: '<p>Its picture is missing.</p>',
        images: [img('missing.png')],
        skus: [{ sku: 'BRK-BAR', price: '5.00', currency: 'USD', stock: 3 }],
      },
    ],
  };
}

// ------------------------------------------------------------- page helpers
const ALLOWED_CONSOLE = /^Failed to load resource: the server responded with a status of (401|404|409) \([^)]*\)$/;

/**
 * Collect console errors and uncaught errors of the admin page. While the tab
 * shows another site (the sandbox's authorize page during Connect), its
 * messages are not the admin page's: they are printed as notes only.
 */
function watchConsole(page, label, base, problems, firstVisit) {
  const onAdmin = () => page.url().startsWith(base + '/');
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const loc = msg.location() || {};
    const url = loc.url || '';
    const line = `[${label}] console error: ${text}${url ? ` (${url})` : ''}`;
    if (!onAdmin()) { console.log(`# note, not on the admin page (${page.url()}): ${line}`); return; }
    // Until the first visit has settled nothing is expected to fail.
    if (firstVisit && firstVisit.open) { firstVisit.errors.push(line); problems.push(line); return; }
    if (ALLOWED_CONSOLE.test(text) && url.startsWith(base + '/')) return;
    problems.push(line);
  });
  page.on('pageerror', (err) => {
    const line = `[${label}] page error: ${err && err.message ? err.message : String(err)}`;
    if (!onAdmin()) { console.log(`# note, not on the admin page (${page.url()}): ${line}`); return; }
    problems.push(line);
  });
}

/**
 * Full-page screenshot. Chromium's own full-page capture replays the CSS
 * transition of the <progress> fill (the bar can look part-filled), and an
 * injected screenshot style would break the page's CSP; so the viewport is
 * made as tall as the page, the layout settles, and then it is captured.
 */
async function shot(page, name, opts = {}) {
  const file = path.join(ARTIFACTS, name);
  const vp = page.viewportSize();
  if (opts.fullPage === false) {
    await page.screenshot({ path: file, animations: 'disabled' });
  } else {
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: vp.width, height: Math.min(Math.max(height, vp.height), 8000) });
    await sleep(600);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
    await page.setViewportSize(vp);
  }
  check(fs.existsSync(file) && fs.statSync(file).size > 1000, `screenshot ${name} saved`);
}

/** Close the notifications (as a person would) so they don't cover the screenshot. */
async function dismissToasts(page) {
  const buttons = page.locator('#toast .toast button');
  for (let i = 0; i < 10 && await buttons.count() > 0; i++) {
    await buttons.first().click({ timeout: 2000 }).catch(() => {});
  }
}

/** How many CSS pixels the document is wider than the viewport (> 0: sideways scrolling). */
function sidewaysOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

function badgeText(page) { return page.locator('#connection-status').innerText(); }

function sandboxQuantity(state, sellerSku) {
  for (const p of state.products || []) {
    for (const s of p.skus || []) {
      if (s.seller_sku === sellerSku) {
        return (s.inventory || []).reduce((n, inv) => n + Number(inv.quantity || 0), 0);
      }
    }
  }
  return null;
}

const intOf = (s) => Number(String(s).replace(/[^\d-]/g, ''));

// -------------------------------------------------------------------- main
async function run() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) {
    if (/\.(png|log)$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f), { force: true });
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shopsync-browser-'));
  let browser = null;
  const t0 = Date.now();
  try {
    for (const [what, p] of [['shopsync', SHOPSYNC_BIN], ['sandbox', SANDBOX_BIN], ['chromium', CHROMIUM]]) {
      if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}`);
    }

    // --- services --------------------------------------------------------
    const redisPort = await freePort();
    const sandboxPort = await freePort();
    const shopsyncPort = await freePort();
    const sandbox = `http://127.0.0.1:${sandboxPort}`;
    const base = `http://127.0.0.1:${shopsyncPort}`;
    fs.mkdirSync(path.join(tmp, 'redis'));

    const redis = startProc('redis', ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1',
      '--dir', path.join(tmp, 'redis'), '--save', '', '--appendonly', 'no', '--daemonize', 'no'], process.env);
    const sb = startProc('sandbox', [SANDBOX_BIN], {
      ...process.env,
      SANDBOX_LISTEN: `127.0.0.1:${sandboxPort}`,
      SANDBOX_APP_KEY: APP_KEY,
      SANDBOX_APP_SECRET: APP_SECRET,
      SANDBOX_SERVICE_ID: SERVICE_ID,
      SANDBOX_REDIRECT_URI: `${base}/api/admin/tiktok/callback`,
      SANDBOX_WEBHOOK_URL: `${base}/api/tiktok/webhook`,
      SANDBOX_STRIPE_WEBHOOK_URL: `${base}/api/stripe/webhook`,
      SANDBOX_STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    });
    await waitUntil(() => redis.exited ? Promise.reject(new Error('redis-server exited')) : new Promise((resolve) => {
      const s = net.connect(redisPort, '127.0.0.1');
      s.on('connect', () => { s.write('PING\r\n'); });
      s.on('data', (d) => { s.destroy(); resolve(String(d).startsWith('+PONG')); });
      s.on('error', () => resolve(false));
    }), { what: 'redis-server' });
    await waitUntil(async () => !sb.exited && httpOk(`${sandbox}/healthz`), { what: 'sandbox /healthz' });

    const ss = startProc('shopsync', [SHOPSYNC_BIN, 'serve'], {
      ...process.env,
      SHOPSYNC_LISTEN: `127.0.0.1:${shopsyncPort}`,
      SHOPSYNC_PUBLIC_URL: base,
      SHOPSYNC_ADMIN_TOKEN: ADMIN_TOKEN,
      SHOPSYNC_SECRET_KEY: SECRET_KEY,
      SHOPSYNC_DATA_DIR: path.join(tmp, 'data'),
      SHOPSYNC_WEB_DIR: path.join(SOURCE_DIR, 'web'),
      SHOPSYNC_LOG_LEVEL: 'info',
      REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
      TIKTOK_SHOP_APP_KEY: APP_KEY,
      TIKTOK_SHOP_APP_SECRET: APP_SECRET,
      TIKTOK_SHOP_SERVICE_ID: SERVICE_ID,
      TIKTOK_SHOP_AUTHORIZE_URL: `${sandbox}/open/authorize`,
      TIKTOK_SHOP_AUTH_BASE: sandbox,
      TIKTOK_SHOP_API_BASE: sandbox,
      TIKTOK_SHOP_CATEGORY_ID: '600001',
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      STRIPE_SECRET_KEY: 'sk_test_sandbox',
      STRIPE_API_BASE: `${sandbox}/stripe`,
      TIKTOK_ADS_API_BASE: sandbox,
      TIKTOK_APP_ID: '7400000000000000001',
      TIKTOK_APP_SECRET: 'sandbox-ads-app-secret',
      TIKTOK_ADS_AUTHORIZE_URL: `${sandbox}/portal/auth`,
    });
    await waitUntil(async () => {
      if (ss.exited) throw new Error(`shopsync exited (${ss.code ?? ss.signal})`);
      return httpOk(`${base}/healthz`);
    }, { timeout: 20_000, what: 'shopsync /healthz' });
    check(true, `services up: redis :${redisPort}, sandbox :${sandboxPort}, shopsync :${shopsyncPort}`);

    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const imp = await api('POST', `${base}/api/admin/products/import`, catalog(base), admin);
    check(imp.status === 200 && imp.doc && imp.doc.imported === 4 && imp.doc.skus === 5,
      `import a 4-product catalog via the API (got ${imp.status} ${JSON.stringify(imp.doc)})`);

    // --- browser -----------------------------------------------------------
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--no-first-run', '--disable-sync', '--disable-component-update'],
    });
    const problems = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const firstVisit = { open: true, errors: [] };
    watchConsole(page, 'admin', base, problems, firstVisit);

    // 1. sign in ------------------------------------------------------------
    await step('sign in', async () => {
      await page.goto(`${base}/admin/tiktok-shop`);
      await page.locator('#login-form').waitFor({ state: 'visible' });
      await page.waitForLoadState('networkidle');
      firstVisit.open = false;
      check(firstVisit.errors.length === 0,
        `the first visit logs no console error (${firstVisit.errors.join(' | ') || 'none'})`);
      const fav = await fetch(`${base}/favicon.ico`);
      check(fav.status === 200 && (fav.headers.get('content-type') || '').startsWith('image/'),
        `/favicon.ico is an icon (${fav.status} ${fav.headers.get('content-type')})`);
      check(await page.locator('#app').isHidden(), 'before sign-in the page shows the sign-in form, not the app');
      const wide = await sidewaysOverflow(page);
      check(wide <= 0, `sign-in page has no sideways scrolling at 1280 px (overflow ${wide} px)`);
      await shot(page, '01-signin.png');

      await page.fill('#login-token', 'wrong-token-0123456789');
      await page.click('#login-submit');
      const err = page.locator('#login-error');
      await err.waitFor({ state: 'visible' });
      const errText = (await err.innerText()).trim();
      check(errText.length > 0, `wrong token shows an error ("${errText}")`);
      check(/^[A-Z].*\.$/.test(errText), `... written as a sentence ("${errText}")`);
      await sleep(300);
      const toastText = await page.locator('#toast').innerText();
      check(!toastText.toLowerCase().includes(errText.replace(/\.$/, '').toLowerCase()),
        `... once: not repeated in a notification ("${toastText.trim()}")`);
      check(await page.locator('#login-token').getAttribute('aria-invalid') === 'true', 'wrong token marks the field invalid');
      check(await page.locator('#app').isHidden(), 'wrong token does not sign in');

      await page.fill('#login-token', ADMIN_TOKEN);
      await page.click('#login-submit');
      await page.locator('#app').waitFor({ state: 'visible' });
      check(await page.locator('#login-view').isHidden(), 'right token signs in (app shown, form hidden)');

      const cookies = await context.cookies(base);
      const session = cookies.filter((c) => c.domain === '127.0.0.1');
      check(session.length >= 1, `a session cookie is set (${session.map((c) => c.name).join(', ')})`);
      check(session.length >= 1 && session.every((c) => c.httpOnly === true), 'session cookie is HttpOnly');
      check(session.length >= 1 && session.every((c) => c.sameSite === 'Strict'), 'session cookie is SameSite=Strict');
      const docCookie = await page.evaluate(() => document.cookie);
      check(session.every((c) => !docCookie.includes(c.name + '=')), 'page script cannot read the session cookie');

      await page.locator('#products-body tr[data-sku]').first().waitFor({ state: 'visible' });
      check(await page.locator('#products-body tr[data-sku]').count() === 5, 'products table lists the 5 imported SKUs');
    });

    // 2. connect ---------------------------------------------------------------
    await step('connect', async () => {
      await waitUntil(async () => (await badgeText(page)).trim() === 'Not connected', { what: 'status "Not connected"' });
      check(true, 'connection status is "Not connected"');
      check(await page.locator('#sync-all').isDisabled(), 'Sync All Products cannot be clicked before connecting');
      check(await page.locator('#sync-hint').isVisible() &&
        await page.locator('#sync-all').getAttribute('aria-describedby') === 'sync-hint',
        'a hint says to connect first, and the button points to it');
      await page.locator('#connect').waitFor({ state: 'visible' });
      await Promise.all([page.waitForURL(`${sandbox}/open/authorize**`), page.click('#connect')]);
      check(page.url().startsWith(`${sandbox}/open/authorize`), 'Connect leads to the sandbox authorize page');
      await page.locator('#approve').waitFor({ state: 'visible' });
      await Promise.all([page.waitForURL(`${base}/admin/tiktok-shop**`), page.click('#approve')]);
      check(page.url().startsWith(`${base}/admin/tiktok-shop`), 'Approve comes back to the admin page');
      const banner = page.locator('#oauth-result');
      await banner.waitFor({ state: 'visible' });
      await waitUntil(async () => (await banner.innerText()).includes(SHOP_NAME), { what: 'banner names the shop' });
      const bannerText = (await banner.innerText()).replace(/\s+/g, ' ').trim();
      check(/connected/i.test(bannerText) && !/not connected/i.test(bannerText), `#oauth-result says connected ("${bannerText.slice(0, 80)}")`);
      await waitUntil(async () => (await badgeText(page)).trim() === 'Connected', { what: 'status "Connected"' });
      check(true, 'connection status is "Connected"');
      await page.locator('#shop-name').waitFor({ state: 'visible' });
      check((await page.locator('#shop-name').innerText()).includes(SHOP_NAME), `shop name "${SHOP_NAME}" is visible`);
      check(!page.url().includes('connected='), 'the ?connected=1 marker is removed from the address bar');
      await shot(page, '02-connected.png');
    });

    // 3. sync ------------------------------------------------------------------
    await step('sync', async () => {
      await waitUntil(() => page.locator('#sync-all').isEnabled(), { what: 'Sync button enabled once connected' });
      check(await page.locator('#sync-hint').isHidden(), 'the connect-first hint is gone once connected');
      await page.click('#sync-all');
      await page.locator('#sync-status').waitFor({ state: 'visible' });
      await waitUntil(async () => {
        const text = await page.locator('#sync-progress-text').innerText();
        const full = await page.evaluate(() => {
          const p = document.querySelector('#sync-progress');
          return p.hasAttribute('value') && p.max > 0 && p.value === p.max;
        });
        return text.includes('100%') && full;
      }, { timeout: 60_000, what: 'sync progress 100%' });
      check(true, 'sync progress reaches 100% (text and <progress> value == max)');
      await page.locator('#sync-results-wrap').waitFor({ state: 'visible', timeout: 30_000 });
      const ptext = await page.locator('#sync-progress-text').innerText();
      check(/4 products/.test(ptext) && /1 failed/.test(ptext), `progress text counts 4 products, 1 failed ("${ptext.trim()}")`);
      const failedRow = page.locator(`#sync-results tr[data-product-id="${BROKEN_ID}"]`);
      check(await failedRow.getAttribute('data-status') === 'failed', 'the product with the missing image is marked failed');
      const reason = (await failedRow.locator('td.reason').innerText()).trim();
      check(/404/.test(reason) && /image/i.test(reason) && reason.includes('missing.png'),
        `failure reason names the image and the 404 ("${reason}")`);
      const okRows = await page.locator('#sync-results tr[data-product-id][data-status="created"]').count();
      check(okRows === 3, `the other 3 products are created (got ${okRows})`);
      await waitUntil(() => page.locator('#sync-all').isEnabled(), { what: 'Sync button enabled again' });
      // Products pick up their TikTok status once the job has finished.
      await waitUntil(async () => (await page.locator(`#products-body tr[data-sku="${SOLD_SKU}"] td.tiktok-status`).innerText()).includes('Synced'),
        { timeout: 15_000, what: `${SOLD_SKU} shows Synced` });
      check(true, `${SOLD_SKU} row shows "Synced" after the sync`);
      await dismissToasts(page);
      await shot(page, '03-synced.png');
    });

    // 4. a sale on the sandbox shows up by itself ---------------------------------
    await step('sale on the sandbox', async () => {
      const row = page.locator(`#products-body tr[data-sku="${SOLD_SKU}"]`);
      const before = intOf(await row.locator('td.stock').innerText());
      check(before === 8, `${SOLD_SKU} store stock before the sale is 8 (got ${before})`);
      await page.evaluate(() => { window.__noReload = 'still-here'; });

      const shop = await context.newPage();
      await shop.goto(`${sandbox}/`);
      const qty = shop.locator(`input.qty[data-sku="${SOLD_SKU}"]`);
      await qty.waitFor({ state: 'visible' });
      await qty.fill('2');
      const posted = shop.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/sandbox/orders');
      await shop.click(`button.buy[data-sku="${SOLD_SKU}"]`);
      await posted;
      await shop.locator('#orders tr.order').first().waitFor({ state: 'visible' });
      check(await shop.locator('#orders tr.order').count() === 1, 'the sandbox page lists the new order');
      await shop.close();
      const st = (await api('GET', `${sandbox}/sandbox/state`)).doc;
      const order = st && st.orders && st.orders[0];
      const units = order ? (order.line_items || []).filter((li) => li.seller_sku === SOLD_SKU).length : 0;
      check(st.orders.length === 1 && units === 2, `the sandbox order is for 2 x ${SOLD_SKU} (got ${units})`);

      await page.bringToFront();
      await waitUntil(async () => intOf(await row.locator('td.stock').innerText()) === before - 2,
        { timeout: 20_000, what: `${SOLD_SKU} stock ${before - 2}` });
      check(true, `${SOLD_SKU} store stock drops by 2 (${before} -> ${before - 2}) on its own`);
      check(await page.evaluate(() => window.__noReload) === 'still-here', 'the change arrived without a page reload');
      await waitUntil(async () => (await page.locator('#activity-list').innerText()).includes('TikTok order'),
        { timeout: 10_000, what: 'activity lists the TikTok order' });
      const act = page.locator(`#activity-list li[data-reason="tiktok_order"][data-activity-sku="${SOLD_SKU}"]`);
      check(await act.count() >= 1, 'activity shows the TikTok order for the SKU');
      await dismissToasts(page);
      await shot(page, '04-after-sale.png');
    });

    // 5. inline stock edit ---------------------------------------------------------
    await step('edit stock', async () => {
      const row = page.locator(`#products-body tr[data-sku="${EDIT_SKU}"]`);
      await row.locator('button.edit-stock').click();
      const mode = row.locator('select.stock-mode');
      const input = row.locator('input.stock-input');
      await input.waitFor({ state: 'visible' });
      check(await page.locator('#live-indicator-text').innerText() === 'Updates paused while editing', 'live indicator says updates are paused while editing');
      await mode.selectOption('set');
      await input.fill('7');
      // TikTok Shop answers 500 for now: the push waits, as a slow one would.
      await api('POST', `${sandbox}/sandbox/faults`, { fail_next: 1000000 });
      await row.locator('button.stock-save').click();
      await input.waitFor({ state: 'detached' });
      await waitUntil(async () => intOf(await row.locator('td.stock').innerText()) === 7, { what: `${EDIT_SKU} shows 7` });
      check(true, `${EDIT_SKU} row shows 7 after saving`);
      check(await page.locator('#toast').innerText().then((t) => t.includes(`Stock for ${EDIT_SKU} is now 7`)), 'a toast confirms the new stock');
      const status = row.locator('td.tiktok-status');
      check((await status.innerText()).includes('Pushing…'), `right after the edit the row reads "Pushing…", not Synced ("${(await status.innerText()).trim()}")`);
      await sleep(REFRESH_WAIT_MS);
      check((await status.innerText()).includes('Pushing…'), 'and still does after a refresh while TikTok Shop has the old value');
      await api('DELETE', `${sandbox}/sandbox/faults`);

      const buffer = 0; // SHOPSYNC_STOCK_BUFFER is not set: default 0
      let q = null;
      await waitUntil(async () => {
        const r = await api('GET', `${sandbox}/sandbox/state`);
        q = sandboxQuantity(r.doc, EDIT_SKU);
        return q === 7 - buffer;
      }, { timeout: 10_000, what: `sandbox quantity of ${EDIT_SKU} = ${7 - buffer}` });
      check(true, `sandbox quantity for ${EDIT_SKU} becomes ${7 - buffer} (7 - buffer ${buffer})`);

      await waitUntil(async () => (await row.locator('td.pushed .qty').innerText()).trim() === String(7 - buffer),
        { timeout: 15_000, what: `${EDIT_SKU} td.pushed shows ${7 - buffer}` });
      check(true, `td.pushed for ${EDIT_SKU} shows ${7 - buffer}`);
      await waitUntil(async () => (await row.locator('td.tiktok-status').innerText()).trim() === 'Synced',
        { timeout: 15_000, what: `${EDIT_SKU} reads Synced once pushed` });
      check(true, `${EDIT_SKU} reads "Synced" once TikTok Shop has the new value`);
      await waitUntil(async () => (await page.locator(`#activity-list li[data-reason="admin"][data-activity-sku="${EDIT_SKU}"]`).count()) >= 1,
        { what: 'activity lists the admin edit' });
      check(true, 'activity shows the admin edit');
      const acts = await api('GET', `${base}/api/admin/activity?limit=20`, undefined, admin);
      const edit = ((acts.doc && acts.doc.activity) || []).find((a) => a.reason === 'admin' && a.sku === EDIT_SKU);
      check(!!edit && /^page-[0-9a-f]{32}$/.test(edit.ref || ''), `the page sent the edit with an Idempotency-Key (ref ${edit && edit.ref})`);
      await dismissToasts(page);
      await shot(page, '05-stock-edited.png');
    });

    // 5b. a save whose answer is lost, saved again ---------------------------------
    await step('edit stock, answer lost', async () => {
      const row = page.locator(`#products-body tr[data-sku="${EDIT_SKU}"]`);
      const stockNow = async () => (await api('GET', `${base}/api/admin/stock/${EDIT_SKU}`, undefined, admin)).doc.stock;
      const before = await stockNow();
      const keys = [];
      // The first save reaches shopsync and is applied, but its answer is cut
      // off on the way back, as on a flaky network.
      await page.route(`**/api/admin/stock/${EDIT_SKU}`, async (route) => {
        keys.push(route.request().headers()['idempotency-key']);
        await route.fetch();
        await route.abort('connectionreset');
      }, { times: 1 });
      const n0 = problems.length;
      await row.locator('button.edit-stock').click();
      const input = row.locator('input.stock-input');
      await input.waitFor({ state: 'visible' });
      await row.locator('select.stock-mode').selectOption('delta');
      await input.fill('-1');
      await row.locator('button.stock-save').click();
      await waitUntil(async () => row.locator('.stock-error').isVisible(), { what: 'the save error shown' });
      check(await stockNow() === before - 1, 'the first save was applied although its answer was lost');
      await page.route(`**/api/admin/stock/${EDIT_SKU}`, async (route) => {
        keys.push(route.request().headers()['idempotency-key']);
        await route.continue();
      }, { times: 1 });
      await row.locator('button.stock-save').click();
      await input.waitFor({ state: 'detached' });
      check(keys.length === 2 && /^page-[0-9a-f]{32}$/.test(keys[0] || '') && keys[0] === keys[1],
        `saving again sent the same Idempotency-Key (${keys.join(', ')})`);
      check(await stockNow() === before - 1, `applied once: ${EDIT_SKU} down by 1, not 2`);
      await waitUntil(async () => intOf(await row.locator('td.stock').innerText()) === before - 1,
        { what: `${EDIT_SKU} shows ${before - 1}` });
      check(true, `${EDIT_SKU} row shows ${before - 1}`);
      const cut = problems.splice(n0);
      check(cut.length <= 1 && cut.every((l) => /net::ERR_/.test(l)),
        `the only console error is the cut-off answer (${cut.join(' | ') || 'none'})`);
      await dismissToasts(page);
    });

    // 5c. a channel rule edited inline, a bad value, the store default -----------------
    await step('edit a channel rule', async () => {
      const rulesDoc = async () => (await api('GET', `${base}/api/admin/rules`, undefined, admin)).doc;
      const row = page.locator(`#rules-body tr[data-rule-sku="${RULE_SKU}"]`);
      const cell = (f) => row.locator(`td[data-field="${f}"]`);
      const input = (r, f) => r.locator(`.rule-input[name="${f}"]`);
      const shown = async () => (await row.locator('td.shown').innerText()).trim();
      await row.waitFor({ state: 'visible' });
      check((await cell('buffer').innerText()).includes('default'), `${RULE_SKU}'s buffer reads "default" before any rule`);

      // Units held for a checkout show, and TikTok is shown what is left.
      const hold = await api('POST', `${base}/api/holds`, { items: [{ sku: RULE_SKU, quantity: 4 }], ttl_seconds: 600 }, admin);
      check(hold.status === 201, `a checkout hold of 4 x ${RULE_SKU} (${hold.status})`);
      await waitUntil(async () => (await row.locator('td.held').innerText()).trim() === '4', { what: `${RULE_SKU} shows 4 held` });
      await waitUntil(async () => await shown() === '36', { what: `${RULE_SKU} TikTok shown 36` });
      check(true, `${RULE_SKU} shows 4 held and TikTok shown 36 (40 - 4)`);

      // A bad value: the server's 400 names the field, shown next to it.
      await row.locator('button.edit-rule').click();
      await input(row, 'buffer').waitFor({ state: 'visible' });
      await input(row, 'buffer').fill('5');
      await input(row, 'max').fill('20');
      await input(row, 'percent').fill('150');
      const n0 = problems.length;
      await row.locator('button.rule-save').click();
      const percentError = cell('percent').locator('.rule-error');
      await percentError.waitFor({ state: 'visible' });
      const said = (await percentError.innerText()).trim();
      check(/^Percent .*1 to 100\.$/.test(said), `percent 150 shows the server's error next to the field ("${said}")`);
      check(await input(row, 'percent').getAttribute('aria-invalid') === 'true', 'and marks that field invalid');
      check(await cell('buffer').locator('.rule-error').isHidden() && await cell('max').locator('.rule-error').isHidden(),
        'the good fields show no error');
      check(!((await rulesDoc()).skus || {})[RULE_SKU], 'nothing was saved');
      await shot(page, '05c-rule-error.png');
      await sleep(300);
      const logged = problems.splice(n0);
      check(logged.length <= 1 && logged.every((l) => /status of 400/.test(l) && l.includes(`/api/admin/rules/${RULE_SKU}`)),
        `the only console error is the refused save (${logged.join(' | ') || 'none'})`);

      // Saved: the page and the API show the SKU's own buffer and max.
      await input(row, 'percent').fill('');
      await row.locator('button.rule-save').click();
      await row.locator('.rule-input').first().waitFor({ state: 'detached' });
      const own = ((await rulesDoc()).skus || {})[RULE_SKU] || {};
      check(own.buffer === 5 && own.max === 20 && Object.keys(own).length === 2,
        `GET /api/admin/rules has ${RULE_SKU}'s rule ${JSON.stringify(own)}`);
      const buf = (await cell('buffer').innerText()).trim();
      const max = (await cell('max').innerText()).trim();
      const pct = (await cell('percent').innerText()).replace(/\s+/g, ' ').trim();
      check(buf === '5' && max === '20' && /^100% default$/.test(pct),
        `the row shows its own buffer 5 and max 20, percent from the default ("${buf}", "${max}", "${pct}")`);
      await waitUntil(async () => await shown() === '20', { what: `${RULE_SKU} TikTok shown 20` });
      check(true, `TikTok shown becomes 20 (min(max 20, 40 - 4 held - buffer 5))`);

      // Reset to default.
      await row.locator('button.reset-rule').click();
      await waitUntil(async () => !((await rulesDoc()).skus || {})[RULE_SKU], { what: `${RULE_SKU} has no rule of its own` });
      await waitUntil(async () => (await cell('buffer').innerText()).includes('default') && await shown() === '36',
        { what: `${RULE_SKU} back on the default` });
      check(true, `Reset to default: no rule in the API, the row reads "default", TikTok shown 36 again`);

      // The store default: zero_at 50 puts every SKU with 50 or fewer at 0 on TikTok.
      const drow = page.locator(`#rules-default-body tr[data-rule-sku]`);
      await drow.locator('button.edit-rule').click();
      await input(drow, 'zero_at').fill('50');
      await drow.locator('button.rule-save').click();
      await drow.locator('.rule-input').first().waitFor({ state: 'detached' });
      const def = (await rulesDoc()).default || {};
      check(def.zero_at === 50, `GET /api/admin/rules has the default's zero_at 50 (${JSON.stringify(def)})`);
      await waitUntil(async () => await shown() === '0', { what: `${RULE_SKU} TikTok shown 0` });
      check((await drow.locator('td[data-field="zero_at"]').innerText()).trim() === '50', 'the default row shows zero_at 50, and the SKU TikTok shown 0');
      await drow.locator('button.edit-rule').click();
      await input(drow, 'zero_at').fill('');
      await drow.locator('button.rule-save').click();
      await drow.locator('.rule-input').first().waitFor({ state: 'detached' });
      await waitUntil(async () => ((await rulesDoc()).default || {}).zero_at === 0, { what: 'the default zero_at back to 0' });
      check(true, 'an empty default field goes back to the built-in value (zero_at 0)');

      const rel = await api('DELETE', `${base}/api/holds/${hold.doc.hold_id}`, undefined, admin);
      check(rel.status === 200, `the hold released (${rel.status})`);
      await waitUntil(async () => (await row.locator('td.held').innerText()).trim() === '0', { what: `${RULE_SKU} shows 0 held` });
      await dismissToasts(page);
      await shot(page, '05d-rules.png');
    });

    // 6. disconnect ------------------------------------------------------------------
    await step('disconnect', async () => {
      await page.click('#disconnect');
      const dlg = page.locator('#confirm-disconnect');
      await dlg.waitFor({ state: 'visible' });
      check(await dlg.evaluate((d) => d.open), 'Disconnect asks for confirmation in a dialog');
      const said = (await dlg.innerText()).replace(/\s+/g, ' ');
      check(/orders placed on TikTok Shop meanwhile are kept/i.test(said) && /applied .*when you connect again/i.test(said) &&
        !/stop receiving its orders/i.test(said),
        `the dialog says what happens to TikTok orders while disconnected ("${said.slice(0, 200)}")`);
      await page.click('#confirm-disconnect-yes');
      await dlg.waitFor({ state: 'hidden' });
      await waitUntil(async () => (await badgeText(page)).trim() === 'Not connected', { what: 'status "Not connected"' });
      check(true, 'after disconnecting the status is "Not connected"');
      check(await page.locator('#connect').isVisible(), 'Connect button is offered again');
      check(await page.locator('#oauth-result').isHidden(), 'the connected banner is gone');
      const soldStatus = page.locator(`#products-body tr[data-sku="${SOLD_SKU}"] td.tiktok-status`);
      await waitUntil(async () => (await soldStatus.innerText()).trim() === 'Not connected',
        { timeout: 10_000, what: `${SOLD_SKU} reads Not connected` });
      check(await page.locator('#products-body td.tiktok-status', { hasText: 'Synced' }).count() === 0,
        'after disconnecting no product row reads "Synced"');
      check(await page.locator('#sync-all').isDisabled(), 'Sync All Products is disabled again');
      const stockBefore = intOf(await page.locator(`#products-body tr[data-sku="${SOLD_SKU}"] td.stock`).innerText());
      const sale = await api('POST', `${sandbox}/sandbox/orders`, { seller_sku: SOLD_SKU, quantity: 1 });
      check(sale.status === 201, `a TikTok order while disconnected (${sale.status})`);
      const parked = page.locator('#parked-orders');
      await parked.waitFor({ state: 'visible', timeout: 15_000 });
      const parkedText = (await parked.innerText()).replace(/\s+/g, ' ').trim();
      check(/1 TikTok Shop order arrived while TikTok Shop was not connected/.test(parkedText) &&
        /applied to your stock when you connect again/.test(parkedText),
        `the page says the order is kept for the reconnect ("${parkedText}")`);
      check(intOf(await page.locator(`#products-body tr[data-sku="${SOLD_SKU}"] td.stock`).innerText()) === stockBefore,
        'the stock waits for the reconnect');
      await dismissToasts(page);
      await shot(page, '06-disconnected.png');
    });

    // 7. TikTok Ads ------------------------------------------------------------------
    await step('tiktok ads', async () => {
      const status = page.locator('#ads-status');
      await waitUntil(async () => (await status.innerText()).trim() === 'Not connected', { what: 'ads "Not connected"' });
      check(true, 'TikTok Ads reads "Not connected" without a pixel');
      await page.fill('#ads-pixel', 'CSANDBOXPIXEL0000001');
      await page.fill('#ads-token', 'sandbox-ads-access-token');
      await page.fill('#ads-test', 'TEST42');
      await page.fill('#ads-offline-set', '7300000000000000001');
      await page.click('#ads-save');
      await waitUntil(async () => (await status.innerText()).trim() === 'Test mode', { what: 'ads "Test mode"' });
      check(await page.locator('#ads-test-mode').isVisible() &&
        (await page.locator('#ads-test-code').innerText()).trim() === 'TEST42', 'the test mode banner shows the code');
      check((await page.locator('#ads-token').inputValue()) === '', 'the token field is cleared after saving');
      const ev = await api('POST', `${base}/api/events`, {
        event_type: 'AddToCart', event_id: 'browser-ev-1', user: { email: 'b@example.com' },
        properties: { value: 9.5, currency: 'USD' },
      }, admin);
      check(ev.status === 202, `a store event is accepted (${ev.status})`);
      const row = page.locator('#ads-recent tbody tr[data-event-id="browser-ev-1"]');
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      const rowText = (await row.innerText()).replace(/\s+/g, ' ');
      check(/AddToCart/.test(rowText) && /9\.5 USD/.test(rowText) && /OK/.test(rowText), `the last events list the sent event ("${rowText}")`);
      await waitUntil(async () => (await page.locator('#ads-sent').innerText()).trim() === '1', { timeout: 15_000, what: 'sent today 1' });
      check(true, 'today\'s sent count is 1');
      const iso = (t) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
      const csv = 'event,event_id,timestamp,email\n' +
        `Purchase,store-1,${iso(Date.now() - 3600e3)},a@example.com\n` +
        `Purchase,store-2,${iso(Date.now() - 40 * 86400e3)},b@example.com\n`;
      await page.setInputFiles('#ads-csv', { name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.click('#ads-csv-upload');
      const results = page.locator('#ads-csv-results tbody tr');
      await waitUntil(async () => (await results.count()) === 2, { what: 'two CSV result rows' });
      const second = (await results.nth(1).innerText()).replace(/\s+/g, ' ');
      check(/Accepted/.test(await results.nth(0).innerText()) && /older than 28 days/.test(second),
        `the CSV upload shows each row's result ("${second}")`);
      await dismissToasts(page);
      await shot(page, '07-tiktok-ads.png');
    });

    // 7b. ad spend and revenue -----------------------------------------------------------
    await step('ad spend report', async () => {
      const status = page.locator('#ads-account-status');
      await waitUntil(async () => (await status.innerText()).trim() === 'Not connected', { what: 'ads account "Not connected"' });
      await page.click('#ads-account-connect');
      await page.waitForURL(/\/portal\/auth\?/);
      check(true, 'Connect TikTok Ads account opens TikTok\'s authorize page');
      await page.click('#ads-approve');
      await page.waitForURL(/ads_connected=1/);
      await waitUntil(async () => /Connected \(2 advertisers\)/.test(await status.innerText()), { timeout: 15_000, what: 'ads account connected' });
      check(true, 'back on the page, the account is connected with its two advertisers');
      await page.check('#adv-7200000000000000001');
      await page.click('#ads-advertisers-save');
      await page.locator('#ads-spend-sync').waitFor({ state: 'visible' });
      await page.click('#ads-spend-sync');
      const chart = page.locator('#report-chart .uplot canvas');
      await chart.first().waitFor({ state: 'visible', timeout: 20_000 });
      const legend = (await page.locator('#report-chart .u-legend').innerText()).replace(/\s+/g, ' ');
      check(/Website/.test(legend) && /TikTok Shop/.test(legend) && /Ad spend/.test(legend),
        `the chart shows revenue by channel and ad spend ("${legend.slice(0, 80)}")`);
      await waitUntil(async () => (await page.locator('#report-campaigns tbody tr').count()) === 40,
        { timeout: 20_000, what: '40 campaigns after the sync' });
      check(true, 'spend by campaign lists the 40 campaigns synced');
      const spend30 = (await page.locator('#report-total-spend').innerText()).trim();
      check(/^\$[\d,]+\.\d\d$/.test(spend30) && spend30 !== '$0.00', `the totals show the ad spend (${spend30})`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
      const file = await download.path();
      const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
      check(lines[0].startsWith('date,currency,web_orders,web_revenue,tiktok_shop_orders,tiktok_shop_gmv') &&
        lines.length === 31, `the CSV download has a header and 30 days (${lines.length - 1} rows, ${download.suggestedFilename()})`);
      await page.click('.report-days[data-days="90"]');
      await waitUntil(async () => (await page.locator('#report-total-spend').innerText()).trim() !== spend30,
        { timeout: 15_000, what: '90-day totals' });
      check(true, 'the last 90 days show their own totals');
      await dismissToasts(page);
      await shot(page, '07b-ad-spend-report.png');
    });

    // 7c. custom audiences --------------------------------------------------------------
    await step('audiences', async () => {
      await page.locator('#audience-form').scrollIntoViewIfNeeded();
      await page.fill('#audience-name', 'All buyers');
      await page.fill('#audience-advertiser', '7200000000000000001');
      await page.selectOption('#audience-kind', 'all_buyers');
      check(await page.locator('#audience-param-field').isHidden(), 'all buyers asks for no parameter');
      await page.click('#audience-save');
      const row = page.locator('#audiences-table tbody tr').first();
      await waitUntil(async () => (await page.locator('#audiences-table tbody tr').count()) === 1, { what: 'the audience listed' });
      const status = (await row.locator('td').nth(3).innerText()).trim();
      check(/^\d+ of 1,000 buyers$/.test(status), `a new audience waits for 1,000 buyers ("${status}")`);
      await row.locator('button.aud-sync').click();
      await waitUntil(async () => !/never/.test(await row.locator('td').nth(4).innerText()), { timeout: 15_000, what: 'last sync shown' });
      check(/of 1,000 buyers/.test(await row.locator('td').nth(3).innerText()), 'sync now: still waiting, nothing created at TikTok');
      await row.locator('button.aud-edit').click();
      check((await page.inputValue('#audience-name')) === 'All buyers', 'edit fills the form');
      await page.selectOption('#audience-kind', 'bought_within_days');
      check(await page.locator('#audience-param-field').isVisible(), 'bought within N days asks for the days');
      await page.fill('#audience-param', '30');
      await page.click('#audience-save');
      await waitUntil(async () => (await row.locator('td').nth(1).innerText()).trim() === 'Bought within 30 days', { what: 'rule changed' });
      check(true, 'the edited rule is listed');
      await dismissToasts(page);
      await shot(page, '07c-audiences.png');
      page.once('dialog', (d) => d.accept());
      await row.locator('button.aud-delete').click();
      await waitUntil(async () => (await page.locator('#audiences-table tbody tr').count()) === 0, { what: 'audience deleted' });
      check(await page.locator('#audiences-empty').isVisible(), 'deleting it empties the list');
    });

    // 8. phone-sized, signed in --------------------------------------------------------
    await step('phone layout', async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
      phone.setDefaultTimeout(15_000);
      const p = await phone.newPage();
      const phoneFirst = { open: true, errors: [] };
      watchConsole(p, 'phone', base, problems, phoneFirst);
      await p.goto(`${base}/admin/tiktok-shop`);
      await p.locator('#login-token').waitFor({ state: 'visible' });
      await p.waitForLoadState('networkidle');
      phoneFirst.open = false;
      check(phoneFirst.errors.length === 0, `the phone's first visit logs no console error (${phoneFirst.errors.join(' | ') || 'none'})`);
      const signinOverflow = await sidewaysOverflow(p);
      check(signinOverflow <= 0, `sign-in form has no sideways scrolling at 390 px wide (overflow ${signinOverflow} px)`);
      await p.fill('#login-token', ADMIN_TOKEN);
      await p.click('#login-submit');
      await p.locator('#app').waitFor({ state: 'visible' });
      await p.locator('#products-body tr[data-sku]').first().waitFor({ state: 'visible' });
      const overflow = await sidewaysOverflow(p);
      check(overflow <= 0, `signed-in page has no sideways scrolling at 390 px wide (overflow ${overflow} px)`);
      await shot(p, '07-phone.png', { fullPage: false });
      await phone.close();
    });

    // console / page errors ----------------------------------------------------------------
    await sleep(300);
    for (const p of problems) fail(p);
    check(problems.length === 0, `no console errors or page errors (${problems.length})`);

    for (const c of [redis, sb, ss]) check(!c.exited, `${c.name} still running at the end`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`# runtime ${((Date.now() - t0) / 1000).toFixed(1)} s; artifacts in ${ARTIFACTS}`);
  }
}

let timedOut = false;
const watchdog = setTimeout(async () => {
  timedOut = true;
  fail(`whole test took longer than ${OVERALL_TIMEOUT_MS / 1000} s`);
  await stopAll();
  finish();
}, OVERALL_TIMEOUT_MS);

function finish() {
  if (failed) {
    for (const c of children) {
      const t = tail(c.logPath);
      if (t) console.log(`# --- last lines of ${c.name}.log ---\n${t.split('\n').map((l) => '# ' + l).join('\n')}`);
    }
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed || passed === 0 ? 1 : 0);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    fail(`interrupted by ${sig}`);
    await stopAll();
    finish();
  });
}

try {
  await run();
} catch (e) {
  fail(`setup: ${e && e.message ? e.message : e}`);
}
if (!timedOut) {
  clearTimeout(watchdog);
  finish();
}
