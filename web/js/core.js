/* shopsync admin — the page's shared core: the state every section reads
 * and writes, DOM and formatting helpers, the loader wrapper, toasts and the
 * page's views (boot, sign-in, server error, app; offline and live state). */

// -------------------------------------------------------------------- state

export const state = {
  csrf: '',
  authed: false,
  view: 'boot',
  timer: 0,
  bootRetryTimer: 0,
  refreshing: false,
  offline: false,
  unsupported: new Map(), // path -> time it answered 404
  sigs: new Map(),        // section -> last rendered data signature
  conn: null,
  products: null,
  productsBySku: new Map(),
  rows: new Map(),        // sku -> { tr, sig }
  search: '',
  editing: null,          // sku being edited
  sync: { jobId: null, polling: false, timer: 0, shownJobId: null, errors: 0 },
  oauth: null,
  oauthShown: false,
  dialogOpener: null,
  activityItems: null,
  pushWait: new Map(),    // sku -> performance.now() of a saved edit not yet seen pending by the server
  rules: null,            // GET /api/admin/rules: { default, skus }
  ruleRows: new Map(),    // sku (or RULE_DEFAULT) -> { tr, sig }
  ruleEdit: null,         // the rule row being edited: its key and controls
};

// ------------------------------------------------------------------ helpers

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

export function show(el, on) { if (el) el.hidden = !on; }
export function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
export function clear(el) { while (el && el.firstChild) el.removeChild(el.firstChild); }

export function isNum(n) { return typeof n === 'number' && Number.isFinite(n); }
export function int(n, d = 0) { const x = Number(n); return Number.isFinite(x) ? x : d; }

/** Accepts unix seconds or unix milliseconds; returns ms (or null). */
export function toMs(t) {
  if (t === null || t === undefined || t === '') return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) return null;
  return n < 1e11 ? n * 1000 : n;
}

const rtf = (typeof Intl !== 'undefined' && Intl.RelativeTimeFormat)
  ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : null;
const dateFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
export const numFmt = new Intl.NumberFormat();

function relTime(ms) {
  const diff = (ms - Date.now()) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return diff < 0 ? 'just now' : 'in a few seconds';
  const units = [
    ['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400],
    ['hour', 3600], ['minute', 60],
  ];
  for (const [unit, secs] of units) {
    if (abs >= secs || unit === 'minute') {
      const v = Math.round(diff / secs);
      if (rtf) return rtf.format(v, unit);
      const n = Math.abs(v);
      const word = n === 1 ? unit : unit + 's';
      return v < 0 ? `${n} ${word} ago` : `in ${n} ${word}`;
    }
  }
  return '';
}
export function absTime(ms) { return dateFmt.format(new Date(ms)); }

/** <time> that keeps its relative text up to date (see updateRelativeTimes). */
export function timeEl(t, cls) {
  const ms = toMs(t);
  if (ms === null) return h('span', { class: 'dash', text: '—' });
  return h('time', {
    class: 'rel' + (cls ? ' ' + cls : ''),
    datetime: new Date(ms).toISOString(),
    title: absTime(ms),
    'data-ts': ms,
    text: relTime(ms),
  });
}
export function updateRelativeTimes() {
  for (const el of $$('time.rel[data-ts]')) {
    setText(el, relTime(Number(el.dataset.ts)));
  }
}

export function signed(n) {
  const v = int(n);
  if (v > 0) return '+' + numFmt.format(v);
  if (v < 0) return '\u2212' + numFmt.format(-v);
  return '\u00b10';
}

export function formatPrice(price, currency) {
  if (price === null || price === undefined || price === '') return '—';
  const n = Number(price);
  if (Number.isFinite(n) && typeof currency === 'string' && /^[A-Za-z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(n);
    } catch (_) { /* fall through */ }
  }
  return currency ? `${price} ${currency}` : String(price);
}

/** An API message as a sentence: capital first letter, final full stop. */
export function sentence(message) {
  const m = String(message || '').trim();
  if (!m) return m;
  const s = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?…]$/.test(s) ? s : s + '.';
}

export function plural(n, one, many) { return `${numFmt.format(n)} ${n === 1 ? one : (many || one + 's')}`; }

export function sig(v) { try { return JSON.stringify(v); } catch (_) { return String(Math.random()); } }

/** Run render only when the data changed since the last render of `key`. */
export function changed(key, data) {
  const s = sig(data);
  if (state.sigs.get(key) === s) return false;
  state.sigs.set(key, s);
  return true;
}

export function setBusy(btn, busy) {
  if (!btn) return;
  btn.disabled = !!busy;
  btn.classList.toggle('is-busy', !!busy);
  if (busy) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
}

/** Wrap a loader so calls never overlap; a call during a run queues one re-run. */
export function single(fn) {
  let inflight = null;
  let again = false;
  return function run() {
    if (inflight) { again = true; return inflight; }
    inflight = (async () => {
      try {
        do {
          again = false;
          try { await fn(); } catch (_) { /* loaders handle their own errors */ }
        } while (again && state.authed);
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  };
}

// -------------------------------------------------------------------- toast

export function toast(message, kind = 'info', timeout) {
  const region = $('#toast');
  if (!region || !message) return;
  for (const t of $$('.toast', region)) {
    if (t.dataset.msg === message) t.remove();
  }
  const close = h('button', { type: 'button', class: 'btn btn-ghost', 'aria-label': 'Dismiss notification', text: 'Dismiss' });
  const el = h('div', { class: `toast toast-${kind}`, 'data-msg': message },
    h('p', { class: 'toast-text', text: message }), close);
  close.addEventListener('click', () => el.remove());
  region.append(el);
  const toasts = $$('.toast', region);
  if (toasts.length > 3) toasts[0].remove();
  window.setTimeout(() => el.remove(), timeout || (kind === 'err' ? 10000 : 5000));
}

// -------------------------------------------------------------------- views

export function showView(view) {
  state.view = view;
  show($('#boot'), view === 'boot');
  show($('#login-view'), view === 'login');
  show($('#server-error'), view === 'server-error');
  show($('#app'), view === 'app');
  show($('#logout'), view === 'app');
  show($('#live-indicator'), view === 'app');
}

export function setOffline(off) {
  if (state.offline === off) return;
  state.offline = off;
  show($('#offline-banner'), off && state.view === 'app');
  updateLiveIndicator();
}

export function updateLiveIndicator() {
  const el = $('#live-indicator');
  if (!el) return;
  el.classList.toggle('offline', state.offline);
  el.classList.toggle('paused', !state.offline && !!state.editing);
  setText($('#live-indicator-text'),
    state.offline ? 'Offline' : state.editing ? 'Updates paused while editing' : 'Live');
}
