/* shopsync admin — TikTok Shop page: the entry module.
 * Plain ES2020 modules, no dependencies, no build step: index.html loads this
 * file with <script type="module" src="/static/app.js"> and it imports the
 * page's sections from /static/js/ (web/js/). CSP-safe: no inline handlers,
 * no inline styles, no eval, no external requests.
 *
 * Here: boot, the periodic refresh, and the wiring of every section.
 * js/core.js holds the shared state object, helpers, toasts and views;
 * js/api.js the API client; each other js/ file is one section of the page.
 *
 * Adding a section:
 *   1. web/js/<name>.js: import what it needs from ./core.js and ./api.js;
 *      export a loader made with single() (it reads the server, renders the
 *      section when changed() says the data differ) and a wire<Name>()
 *      that adds the section's event listeners.
 *   2. Import both here.
 *   3. Add the loader to LOADERS and wire<Name> to WIRING below.
 * Sections call each other through imports, only inside functions (never
 * while a module is being evaluated), so circular imports are fine.
 */
import { state, updateRelativeTimes } from './js/core.js';
import { checkSession, wireSession } from './js/session.js';
import { captureOAuthResult, loadConnection, wireConnection } from './js/connection.js';
import { wireSync } from './js/sync.js';
import { loadProducts, wireProducts } from './js/products.js';
import { wireStockEdit } from './js/stock_edit.js';
import { loadRules, wireRules } from './js/rules.js';
import {
  loadActivity, loadDlq, loadOversells, loadReconcile, loadUnmatched, wireActivity,
} from './js/activity.js';
import { loadAds, wireAds } from './js/ads.js';
import { loadAdsAccount, wireReport } from './js/report.js';
import { loadAudiences, wireAudiences } from './js/audiences.js';

const REFRESH_MS = 3000;          // activity / products / connection refresh

// Every section's loader, run together on each refresh.
const LOADERS = [
  loadConnection, loadProducts, loadActivity, loadOversells,
  loadUnmatched, loadDlq, loadReconcile, loadAds, loadRules, loadAdsAccount, loadAudiences,
];

// Every section's event listeners, added once at boot.
const WIRING = [
  wireSession, wireConnection, wireSync, wireProducts, wireStockEdit,
  wireRules, wireActivity, wireAds, wireReport, wireAudiences,
];

// -------------------------------------------------------------- refreshing
export function scheduleRefresh() {
  window.clearTimeout(state.timer);
  if (!state.authed) return;
  state.timer = window.setTimeout(tick, REFRESH_MS);
}

async function tick() {
  if (!state.authed) return;
  if (!state.editing && document.visibilityState !== 'hidden') await refreshAll();
  updateRelativeTimes();
  scheduleRefresh();
}

export async function refreshAll() {
  if (!state.authed) return;
  if (state.offline) {
    // Probe with one request while the server is unreachable; reload the rest once it answers.
    await loadConnection();
    if (state.offline || !state.authed) return;
  }
  await Promise.all(LOADERS.map((load) => load()));
  updateRelativeTimes();
}

// ------------------------------------------------------------------ wiring
function wire() {
  for (const wireSection of WIRING) wireSection();

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.authed && !state.editing) {
      window.clearTimeout(state.timer);
      tick();
    }
  });
  window.addEventListener('online', () => { if (state.authed) { window.clearTimeout(state.timer); tick(); } });
}

// -------------------------------------------------------------------- boot
function start() {
  captureOAuthResult();
  wire();
  checkSession();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
