/* shopsync admin — TikTok Shop page.
 * Plain ES2020, no dependencies. Loaded with `defer` from /static/app.js.
 * CSP-safe: no inline handlers, no inline styles, no eval, no external requests.
 */
'use strict';

(() => {
  // ---------------------------------------------------------------- constants
  const REFRESH_MS = 3000;          // activity / products / connection refresh
  const SYNC_POLL_MS = 500;         // sync job polling
  const UNSUPPORTED_RETRY_MS = 60000; // re-probe endpoints that answered 404
  const LOW_STOCK = 3;

  const API = {
    session: '/api/admin/session',
    sessionCheck: '/api/admin/session/check',
    login: '/api/admin/login',
    logout: '/api/admin/logout',
    sync: '/api/admin/tiktok/sync',
    syncJob: (id) => '/api/admin/tiktok/sync/' + encodeURIComponent(id),
    auth: '/api/admin/tiktok/auth',
    disconnect: '/api/admin/tiktok/disconnect',
    products: '/api/admin/products',
    stock: (sku) => '/api/admin/stock/' + encodeURIComponent(sku),
    activity: '/api/admin/activity?limit=50',
    oversells: '/api/admin/oversells',
    unmatched: '/api/admin/unmatched',
    dlq: '/api/admin/dlq',
    dlqReplay: '/api/admin/dlq/replay',
    reconcile: '/api/admin/reconcile',
    rules: '/api/admin/rules',
    rule: (sku) => '/api/admin/rules/' + encodeURIComponent(sku),
  };

  const OAUTH_ERRORS = {
    auth_denied: 'You denied access on TikTok Shop.',
    invalid_state: 'This sign-in link expired or was already used. Please click Connect again.',
    token_exchange_failed: 'TikTok Shop did not accept the authorization. Please click Connect to try again; if it keeps failing, check the app key and secret.',
  };

  const REASON_LABELS = {
    tiktok_order: 'TikTok order',
    tiktok_cancel: 'Cancellation of TikTok order',
    stripe_checkout: 'Stripe checkout',
    admin: 'Admin edit',
    reconcile: 'Reconciliation',
    import: 'Catalog import',
    sync: 'Product sync',
  };
  const REASON_ICONS = {
    tiktok_order: 'TT', tiktok_cancel: 'TT', stripe_checkout: 'S', admin: 'A',
    reconcile: 'R', import: 'I', sync: 'Y',
  };
  const SOURCE_LABELS = { tiktok: 'TikTok', stripe: 'Stripe', tiktok_ads: 'TikTok Ads' };

  // -------------------------------------------------------------------- state
  const state = {
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
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function h(tag, props, ...kids) {
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

  function show(el, on) { if (el) el.hidden = !on; }
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function clear(el) { while (el && el.firstChild) el.removeChild(el.firstChild); }

  function isNum(n) { return typeof n === 'number' && Number.isFinite(n); }
  function int(n, d = 0) { const x = Number(n); return Number.isFinite(x) ? x : d; }

  /** Accepts unix seconds or unix milliseconds; returns ms (or null). */
  function toMs(t) {
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
  const numFmt = new Intl.NumberFormat();

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
  function absTime(ms) { return dateFmt.format(new Date(ms)); }

  /** <time> that keeps its relative text up to date (see updateRelativeTimes). */
  function timeEl(t, cls) {
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
  function updateRelativeTimes() {
    for (const el of $$('time.rel[data-ts]')) {
      setText(el, relTime(Number(el.dataset.ts)));
    }
  }

  function signed(n) {
    const v = int(n);
    if (v > 0) return '+' + numFmt.format(v);
    if (v < 0) return '\u2212' + numFmt.format(-v);
    return '\u00b10';
  }

  function formatPrice(price, currency) {
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
  function sentence(message) {
    const m = String(message || '').trim();
    if (!m) return m;
    const s = m.charAt(0).toUpperCase() + m.slice(1);
    return /[.!?…]$/.test(s) ? s : s + '.';
  }

  function plural(n, one, many) { return `${numFmt.format(n)} ${n === 1 ? one : (many || one + 's')}`; }

  function sig(v) { try { return JSON.stringify(v); } catch (_) { return String(Math.random()); } }

  /** Run render only when the data changed since the last render of `key`. */
  function changed(key, data) {
    const s = sig(data);
    if (state.sigs.get(key) === s) return false;
    state.sigs.set(key, s);
    return true;
  }

  function setBusy(btn, busy) {
    if (!btn) return;
    btn.disabled = !!busy;
    btn.classList.toggle('is-busy', !!busy);
    if (busy) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
  }

  // ---------------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(status, code, message, fields) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.code = code || '';
      this.fields = fields || []; // the bad fields' paths of a 400 invalid_field
    }
  }

  async function api(method, path, body, opts = {}) {
    const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    const init = { method, credentials: 'same-origin', headers, cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      throw new ApiError(0, 'network', 'Can’t reach the shopsync server. Check your connection and try again.');
    }
    let data = null;
    try {
      const text = await res.text();
      if (text) data = JSON.parse(text);
    } catch (_) { data = null; }

    if (res.ok) return data || {};

    const err = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : null;
    const message = (err && typeof err.message === 'string' && err.message) ||
      (res.status === 404 ? 'Not found.' : `The server answered with an error (${res.status}). Please try again.`);
    const fields = err && Array.isArray(err.fields) ? err.fields.map(String) : [];
    const e = new ApiError(res.status, err && err.code, message, fields);
    if (res.status === 401 && !opts.noAuthRedirect) signedOut('Your session has ended. Please sign in again.');
    throw e;
  }

  /** GET for a page section: returns null when the endpoint doesn't exist (404). */
  async function getSection(path) {
    const at = state.unsupported.get(path);
    if (at && Date.now() - at < UNSUPPORTED_RETRY_MS) return null;
    try {
      const d = await api('GET', path);
      state.unsupported.delete(path);
      setOffline(false);
      return d;
    } catch (e) {
      if (e.status === 404) { state.unsupported.set(path, Date.now()); setOffline(false); return null; }
      throw e;
    }
  }

  /** Standard handling of a section load failure. */
  function sectionFailed(errEl, e) {
    if (e.status === 401) return;          // signedOut() already ran
    if (e.status === 0) { setOffline(true); return; }
    if (errEl) { errEl.textContent = 'Couldn’t load this section: ' + e.message; errEl.hidden = false; }
  }

  function apiErrorToast(e) {
    if (e.status === 401) return;
    toast(e.message, 'err');
  }

  // -------------------------------------------------------------------- toast
  function toast(message, kind = 'info', timeout) {
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
  function showView(view) {
    state.view = view;
    show($('#boot'), view === 'boot');
    show($('#login-view'), view === 'login');
    show($('#server-error'), view === 'server-error');
    show($('#app'), view === 'app');
    show($('#logout'), view === 'app');
    show($('#live-indicator'), view === 'app');
  }

  function setOffline(off) {
    if (state.offline === off) return;
    state.offline = off;
    show($('#offline-banner'), off && state.view === 'app');
    updateLiveIndicator();
  }

  function updateLiveIndicator() {
    const el = $('#live-indicator');
    if (!el) return;
    el.classList.toggle('offline', state.offline);
    el.classList.toggle('paused', !state.offline && !!state.editing);
    setText($('#live-indicator-text'),
      state.offline ? 'Offline' : state.editing ? 'Updates paused while editing' : 'Live');
  }

  // -------------------------------------------------------------------- boot
  function captureOAuthResult() {
    const params = new URLSearchParams(window.location.search);
    if (!params.has('connected')) return;
    state.oauth = {
      ok: params.get('connected') === '1',
      code: params.get('error') || '',
      message: params.get('message') || '',
    };
    try {
      window.history.replaceState(null, '', window.location.pathname + window.location.hash);
    } catch (_) { /* ignore */ }
  }

  async function checkSession() {
    window.clearTimeout(state.bootRetryTimer);
    try {
      // Answers 200 {signed_in:false} when signed out, so a first visit
      // logs no failed request.
      const d = await api('GET', API.sessionCheck, undefined, { noAuthRedirect: true });
      if (d && d.signed_in) {
        state.csrf = typeof d.csrf === 'string' ? d.csrf : '';
        enterApp(false);
      } else {
        showLogin(d && d.expired ? 'Your session has ended. Please sign in again.' : undefined);
      }
    } catch (e) {
      if (e.status === 401 || e.status === 403 || e.status === 404) {
        showLogin();
      } else {
        setText($('#server-error-text'), e.message);
        showView('server-error');
        state.bootRetryTimer = window.setTimeout(checkSession, 5000);
      }
    }
  }

  function showLogin(message) {
    state.authed = false;
    showView('login');
    const err = $('#login-error');
    if (message) { err.textContent = message; err.hidden = false; } else { err.hidden = true; }
    const input = $('#login-token');
    input.removeAttribute('aria-invalid');
    input.focus();
  }

  /** Any 401 from the API, or sign out: stop everything and show the sign-in form. */
  function signedOut(message) {
    if (!state.authed && state.view === 'login') return;
    state.authed = false;
    state.csrf = '';
    window.clearTimeout(state.timer);
    stopSyncPolling();
    if (state.editing) closeEdit(false);
    if (state.ruleEdit) closeRuleEdit(false);
    closeDialog();
    if (message) toast(message, 'info');
    showLogin();
  }

  function enterApp(fromLogin) {
    state.authed = true;
    state.sigs.clear();
    showView('app');
    show($('#offline-banner'), state.offline);
    updateLiveIndicator();
    renderOAuthBanner();
    if (fromLogin) $('#page-title').focus();
    refreshAll().then(scheduleRefresh);
  }

  // -------------------------------------------------------------- refreshing
  function scheduleRefresh() {
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

  /** Wrap a loader so calls never overlap; a call during a run queues one re-run. */
  function single(fn) {
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

  async function refreshAll() {
    if (!state.authed) return;
    if (state.offline) {
      // Probe with one request while the server is unreachable; reload the rest once it answers.
      await loadConnection();
      if (state.offline || !state.authed) return;
    }
    await Promise.all([
      loadConnection(), loadProducts(), loadActivity(), loadOversells(),
      loadUnmatched(), loadDlq(), loadReconcile(), loadAds(), loadRules(), loadAdsAccount(), loadAudiences(),
    ]);
    updateRelativeTimes();
  }

  // --------------------------------------------------------------- connection
  const loadConnection = single(async () => {
    const errEl = $('#connection-error');
    let d;
    try {
      d = await getSection(API.sync);
    } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    d = d || { connected: false, needs_reauth: false, shop: null, configured: true, last_sync: null };
    state.conn = d;
    if (changed('connection', d)) renderConnection(d);
    renderOAuthBanner();
    handleLastSync(d.last_sync);
  });

  function expiryEl(t, kind, connected) {
    const ms = toMs(t);
    if (ms === null) return [h('span', { class: 'dash', text: '—' })];
    const now = Date.now();
    const past = ms <= now;
    const soon = !past && ms - now < 7 * 86400 * 1000;
    const out = [];
    if (past) {
      out.push(h('span', { class: kind === 'access' && connected ? '' : 'past', text: 'Expired ' }), timeEl(ms));
    } else {
      out.push(h('span', { class: kind === 'refresh' && soon ? 'soon' : '', text: 'Expires ' }), timeEl(ms, kind === 'refresh' && soon ? 'soon' : ''));
    }
    out.push(h('span', { class: 'sub', text: absTime(ms) }));
    if (kind === 'access' && connected) {
      out.push(h('span', { class: 'sub', text: 'Renewed automatically by shopsync.' }));
    }
    if (kind === 'refresh' && (soon || past)) {
      out.push(h('span', { class: 'sub', text: past ? 'Reconnect to keep stock in step.' : 'Reconnect before then to avoid interruption.' }));
    }
    return out;
  }

  function jobSummary(j) {
    if (!j) return 'Never';
    const total = int(j.total), failed = int(j.failed);
    if (j.state === 'running') return `Running now — ${int(j.done)} of ${plural(total, 'product')}`;
    const base = j.state === 'failed' ? 'Failed' : `${plural(total, 'product')}` + (failed ? `, ${failed} failed` : ', all succeeded');
    return base;
  }

  function renderConnection(d) {
    const connected = !!d.connected;
    const reauth = !!d.needs_reauth;
    const configured = d.configured !== false;

    const badge = $('#connection-status');
    let text = 'Not connected', cls = 'badge badge-neutral';
    if (reauth) { text = 'Needs re-authorization'; cls = 'badge badge-warn'; }
    else if (connected) { text = 'Connected'; cls = 'badge badge-ok'; }
    setText(badge, text);
    badge.className = cls;

    show($('#not-configured'), !configured);
    const warn = $('#connection-warning');
    setText(warn, d.warning ? String(d.warning) : '');
    show(warn, !!d.warning);

    show($('#reauth-box'), reauth);
    const rr = $('#reauth-reason');
    setText(rr, d.reauth_reason ? 'Reason: ' + d.reauth_reason : '');
    show(rr, !!d.reauth_reason);

    show($('#not-connected-help'), !connected && !reauth);
    const parked = int(d.parked_orders);
    setText($('#parked-orders-text'), parked > 0
      ? `${plural(parked, 'TikTok Shop order')} arrived while TikTok Shop was not connected. ` +
        `${parked === 1 ? 'It is' : 'They are'} kept, and applied to your stock when you connect again.`
      : '');
    show($('#parked-orders'), parked > 0 && !connected);

    const shop = d.shop && typeof d.shop === 'object' ? d.shop : null;
    show($('#shop-details'), !!shop || connected || reauth);
    setText($('#shop-name'), shop ? (shop.name || shop.id || 'Your shop') : 'Unknown shop');
    setText($('#shop-region'), shop && shop.region ? String(shop.region) : '');
    const acc = $('#access-expires'); clear(acc); acc.append(...expiryEl(d.access_token_expires_at, 'access', connected && !reauth));
    const ref = $('#refresh-expires'); clear(ref); ref.append(...expiryEl(d.refresh_token_expires_at, 'refresh', connected));
    const ls = $('#last-sync-summary'); clear(ls);
    const j = d.last_sync;
    ls.append(jobSummary(j));
    if (j && j.state !== 'running') {
      const when = j.finished_at || j.started_at;
      if (toMs(when)) ls.append(' · ', timeEl(when));
    }

    const connect = $('#connect');
    show(connect, !connected || reauth);
    setText(connect, reauth ? 'Reconnect TikTok Shop' : 'Connect TikTok Shop');
    if (!configured) connect.setAttribute('aria-describedby', 'not-configured');
    else connect.removeAttribute('aria-describedby');

    show($('#disconnect'), connected || reauth || !!shop);
    show($('#sync-hint'), !connected || reauth);
    updateSyncButton();
  }

  /** Sync All Products works only with a connected shop, and once at a time. */
  function updateSyncButton() {
    const btn = $('#sync-all');
    const d = state.conn;
    const ready = !!(d && d.connected && !d.needs_reauth);
    btn.disabled = !ready || state.sync.polling;
    if (ready) btn.removeAttribute('aria-describedby');
    else btn.setAttribute('aria-describedby', 'sync-hint');
  }

  function renderOAuthBanner() {
    const o = state.oauth;
    const banner = $('#oauth-result');
    if (!o || state.view !== 'app') return;
    let title, text = '';
    if (o.ok) {
      const shop = state.conn && state.conn.shop;
      const name = shop && (shop.name || shop.id);
      title = name ? `TikTok Shop connected: ${name}` : 'TikTok Shop connected';
      text = 'Click “Sync All Products” to list your catalog on TikTok Shop. Stock changes are sent automatically from now on.';
      banner.className = 'banner banner-ok';
    } else {
      title = 'TikTok Shop was not connected';
      text = OAUTH_ERRORS[o.code] || o.message || 'Something went wrong while connecting. Please click Connect again.';
      if (o.code === 'token_exchange_failed' && o.message) text += ` (${o.message})`;
      banner.className = 'banner banner-err';
    }
    setText($('#oauth-result-title'), title);
    setText($('#oauth-result-text'), text);
    banner.hidden = false;
    state.oauthShown = true;
  }

  function openDisconnectDialog() {
    const dlg = $('#confirm-disconnect');
    state.dialogOpener = document.activeElement;
    if (typeof dlg.showModal === 'function') {
      dlg.showModal();
      $('#confirm-disconnect-no').focus();
    } else {
      // Very old browser: fall back to the native confirm.
      if (window.confirm('Disconnect TikTok Shop?')) doDisconnect();
    }
  }

  function closeDialog() {
    const dlg = $('#confirm-disconnect');
    if (dlg && dlg.open) dlg.close();
  }

  async function doDisconnect() {
    const yes = $('#confirm-disconnect-yes');
    setBusy(yes, true);
    try {
      await api('POST', API.disconnect, {});
      closeDialog();
      toast('TikTok Shop disconnected.', 'ok');
      state.oauth = null;
      show($('#oauth-result'), false);
      await loadConnection();
    } catch (e) {
      closeDialog();
      apiErrorToast(e);
    } finally {
      setBusy(yes, false);
    }
  }

  // --------------------------------------------------------------------- sync
  function stopSyncPolling() {
    window.clearTimeout(state.sync.timer);
    state.sync.polling = false;
  }

  function handleLastSync(j) {
    if (!j || !j.job_id) return;
    if (j.state === 'running') {
      if (!(state.sync.polling && state.sync.jobId === j.job_id)) followJob(j.job_id, j);
      return;
    }
    // A finished job we haven't shown yet (e.g. page load): show its outcome.
    if (!state.sync.polling && state.sync.shownJobId !== j.job_id && state.sync.jobId !== j.job_id) {
      state.sync.shownJobId = j.job_id;
      renderJob(j);
      renderResults(j);
    }
  }

  async function startSync() {
    const btn = $('#sync-all');
    setBusy(btn, true);
    try {
      const d = await api('POST', API.sync, {});
      if (d && d.job_id) {
        toast('Sync started.', 'info');
        followJob(String(d.job_id));
      } else {
        setBusy(btn, false);
        await loadConnection();
      }
    } catch (e) {
      if (e.status === 409) {
        toast(sentence(e.message) || 'A sync is already running.', 'info');
        await loadConnection();
        const j = state.conn && state.conn.last_sync;
        if (j && j.state === 'running' && j.job_id) followJob(String(j.job_id), j);
        else { setBusy(btn, false); updateSyncButton(); }
      } else {
        setBusy(btn, false);
        updateSyncButton();
        apiErrorToast(e);
      }
    }
  }

  function followJob(id, initial) {
    if (state.sync.polling && state.sync.jobId === id) return;
    stopSyncPolling();
    state.sync.jobId = id;
    state.sync.shownJobId = id;
    state.sync.polling = true;
    state.sync.errors = 0;
    const btn = $('#sync-all');
    btn.disabled = true;
    btn.classList.add('is-busy');
    setText(btn, 'Syncing…');
    show($('#sync-results-wrap'), false);
    renderJob(initial || { job_id: id, state: 'running', total: 0, done: 0, created: 0, updated: 0, failed: 0 });
    pollJob();
  }

  async function pollJob() {
    const id = state.sync.jobId;
    if (!state.sync.polling || !state.authed) return;
    let j;
    try {
      j = await api('GET', API.syncJob(id));
    } catch (e) {
      if (state.sync.jobId !== id || !state.sync.polling) return;
      if (e.status === 401) return;
      if (e.status === 404) {
        finishJob(null, 'This sync is no longer available — the server may have restarted. Please start it again.');
        return;
      }
      state.sync.errors += 1;
      if (e.status === 0) setOffline(true);
      state.sync.timer = window.setTimeout(pollJob, Math.min(5000, SYNC_POLL_MS * 2 ** state.sync.errors));
      return;
    }
    if (state.sync.jobId !== id || !state.sync.polling) return;
    state.sync.errors = 0;
    setOffline(false);
    renderJob(j);
    if (j && j.state === 'running') {
      state.sync.timer = window.setTimeout(pollJob, SYNC_POLL_MS);
    } else {
      finishJob(j);
    }
  }

  function finishJob(j, message) {
    stopSyncPolling();
    const btn = $('#sync-all');
    setBusy(btn, false);
    setText(btn, 'Sync All Products');
    updateSyncButton();
    if (!j) {
      const err = $('#sync-error');
      setText(err, message || 'The sync stopped.');
      err.hidden = false;
      setText($('#sync-state'), 'Stopped');
      $('#sync-state').className = 'badge badge-warn';
      return;
    }
    renderResults(j);
    const failed = int(j.failed);
    if (j.state === 'failed') {
      toast('Sync failed: ' + (j.error || 'unknown error'), 'err');
    } else {
      toast(`Sync finished: ${int(j.created)} created, ${int(j.updated)} updated, ${failed} failed.`, failed ? 'info' : 'ok');
    }
    state.sigs.delete('products');
    loadProducts();
    loadConnection();
    loadActivity();
  }

  function renderJob(j) {
    if (!j) return;
    show($('#sync-status'), true);
    const running = j.state === 'running';
    const total = Math.max(0, int(j.total));
    const done = Math.max(0, Math.min(int(j.done), total || int(j.done)));
    const created = int(j.created), updated = int(j.updated), failed = int(j.failed);

    const bar = $('#sync-progress');
    if (total > 0) {
      bar.max = total;
      bar.value = Math.min(done, total);
    } else if (running) {
      bar.removeAttribute('value'); // indeterminate while counting
    } else {
      bar.max = 1;
      bar.value = 1;
    }
    bar.classList.toggle('has-failures', failed > 0);

    let pct;
    if (total > 0) pct = Math.floor((Math.min(done, total) / total) * 100);
    else pct = running ? 0 : 100;
    const pctText = `${pct}%`;
    setText($('#sync-percent'), pctText);
    setText($('#sync-progress-text'),
      `${numFmt.format(done)} / ${plural(total, 'product')} — ${created} created, ${updated} updated, ${failed} failed · ${pctText}`);
    bar.setAttribute('aria-valuetext', `${pctText}, ${done} of ${total} products`);

    const badge = $('#sync-state');
    if (running) { setText(badge, 'Syncing…'); badge.className = 'badge badge-info'; }
    else if (j.state === 'failed') { setText(badge, 'Sync failed'); badge.className = 'badge badge-err'; }
    else if (failed > 0) { setText(badge, `Finished — ${plural(failed, 'failure')}`); badge.className = 'badge badge-warn'; }
    else { setText(badge, 'Finished'); badge.className = 'badge badge-ok'; }

    const err = $('#sync-error');
    setText(err, j.error ? String(j.error) : '');
    err.hidden = !j.error;
  }

  function renderResults(j) {
    const wrap = $('#sync-results-wrap');
    const results = Array.isArray(j && j.results) ? j.results : [];
    if (!results.length) { show(wrap, false); return; }
    const order = { failed: 0, created: 1, updated: 2 };
    const sorted = results
      .map((r, i) => ({ r, i }))
      .sort((a, b) => ((order[a.r.status] ?? 3) - (order[b.r.status] ?? 3)) || a.i - b.i)
      .map((x) => x.r);
    const tbody = $('#sync-results tbody');
    clear(tbody);
    const labels = { created: ['Created', 'badge-ok'], updated: ['Updated', 'badge-info'], failed: ['Failed', 'badge-err'] };
    for (const r of sorted) {
      const [label, cls] = labels[r.status] || [String(r.status || 'Unknown'), 'badge-neutral'];
      const failed = r.status === 'failed';
      tbody.append(h('tr', { 'data-product-id': r.id == null ? '' : String(r.id), 'data-status': r.status || '', class: failed ? 'is-failed' : null },
        h('td', { class: 'product' },
          h('span', { class: 'title', text: r.title || r.id || 'Untitled product' }),
          r.title && r.id ? h('span', { class: 'sub muted small', text: ' ' + r.id }) : null),
        h('td', { class: 'status' }, h('span', { class: 'badge ' + cls, text: label })),
        h('td', { class: 'reason', text: failed ? (r.error || 'Failed (no reason given)') : (r.error || '') })));
    }
    const failed = results.filter((r) => r.status === 'failed').length;
    setText($('#sync-results-caption'), failed
      ? `Results — ${plural(failed, 'product')} failed; see the reason for each below`
      : `Results — all ${plural(results.length, 'product')} synced`);
    show(wrap, true);
  }

  // ----------------------------------------------------------------- products
  const loadProducts = single(async () => {
    if (state.editing) return;
    const errEl = $('#products-error');
    let d;
    const asked = performance.now();
    try {
      d = await getSection(API.products);
    } catch (e) { sectionFailed(errEl, e); return; }
    if (state.editing) return; // an edit opened while we were loading
    errEl.hidden = true;
    const products = d && Array.isArray(d.products) ? d.products : [];
    // An answer to a request sent before an edit was saved cannot show its
    // push yet: keep such a SKU "Pushing…" until a later answer speaks.
    for (const p of products) {
      for (const s of Array.isArray(p.skus) ? p.skus : []) {
        const savedAt = state.pushWait.get(String(s.sku));
        if (savedAt === undefined) continue;
        if (asked < savedAt && s.tiktok && typeof s.tiktok === 'object') s.tiktok.push_pending = true;
        else state.pushWait.delete(String(s.sku));
      }
    }
    state.products = products;
    if (changed('products', products)) {
      renderProducts();
      if (state.activityItems) renderActivity(state.activityItems);
      renderRules();
    }
  });

  function flatRows() {
    const rows = [];
    state.productsBySku.clear();
    for (const p of state.products || []) {
      const skus = Array.isArray(p.skus) ? p.skus : [];
      for (const s of skus) {
        if (!s || s.sku === undefined || s.sku === null) continue;
        const key = String(s.sku);
        rows.push({ p, s, key });
        state.productsBySku.set(key, { p, s });
      }
    }
    return rows;
  }

  function renderProducts() {
    const rows = flatRows();
    const tbody = $('#products-body');
    const hasProducts = (state.products || []).length > 0;
    show($('#products-empty'), !hasProducts);
    show($('#product-search').closest('.search'), hasProducts);

    const q = state.search.trim().toLowerCase();
    const visible = q
      ? rows.filter((r) => r.key === state.editing ||
        String(r.p.title || '').toLowerCase().includes(q) ||
        r.key.toLowerCase().includes(q) ||
        String(r.p.id || '').toLowerCase().includes(q))
      : rows;

    const nomatch = $('#products-nomatch');
    setText(nomatch, q && hasProducts && !visible.length ? `No products match “${state.search.trim()}”.` : '');
    show(nomatch, !!(q && hasProducts && !visible.length));
    show($('#products-table-wrap'), visible.length > 0);
    setText($('#products-count'), hasProducts
      ? (q ? `· ${visible.length} of ${plural(rows.length, 'SKU')}` : `· ${plural(rows.length, 'SKU')}`)
      : '');

    const keep = new Set();
    visible.forEach((r, i) => {
      keep.add(r.key);
      let entry = state.rows.get(r.key);
      const s = sig([r.p.title, r.p.id, r.s]);
      if (!entry) {
        entry = { tr: buildRow(r), sig: s };
        state.rows.set(r.key, entry);
      } else if (entry.sig !== s) {
        fillRow(entry.tr, r);
        entry.sig = s;
      }
      const at = tbody.children[i];
      if (at !== entry.tr) tbody.insertBefore(entry.tr, at || null);
    });
    for (const tr of Array.from(tbody.children)) {
      if (!keep.has(tr.dataset.sku)) tr.remove();
    }
    for (const key of Array.from(state.rows.keys())) {
      if (!state.productsBySku.has(key)) state.rows.delete(key);
    }
    updateRelativeTimes();
  }

  function buildRow(r) {
    const editBtn = h('button', {
      type: 'button', class: 'btn btn-small edit-stock',
      'aria-label': `Edit stock for ${r.p.title || r.key} (${r.key})`,
      text: 'Edit stock',
    });
    const tr = h('tr', { 'data-sku': r.key },
      h('td', { class: 'product', 'data-label': 'Product' }),
      h('td', { class: 'sku', 'data-label': 'SKU' }),
      h('td', { class: 'attrs-cell', 'data-label': 'Options' }),
      h('td', { class: 'price num', 'data-label': 'Price' }),
      h('td', { class: 'stock num', 'data-label': 'Store stock' }),
      h('td', { class: 'pushed', 'data-label': 'On TikTok' }),
      h('td', { class: 'tiktok-status', 'data-label': 'TikTok status' }),
      h('td', { class: 'actions' }, editBtn));
    fillRow(tr, r);
    return tr;
  }

  function fillRow(tr, r) {
    const { p, s } = r;
    const cells = tr.children;
    const [cProduct, cSku, cAttrs, cPrice, cStock, cPushed, cStatus] = cells;

    clear(cProduct);
    cProduct.append(h('span', { class: 'title', text: p.title || p.id || 'Untitled product' }));

    clear(cSku);
    cSku.append(h('code', { text: r.key }));

    clear(cAttrs);
    const attrs = s.attributes && typeof s.attributes === 'object' ? Object.entries(s.attributes) : [];
    cAttrs.classList.toggle('is-empty', !attrs.length);
    if (attrs.length) {
      cAttrs.append(h('span', { class: 'attrs' }, attrs.map(([k, v]) =>
        h('span', { class: 'attr' }, h('span', { class: 'attr-key', text: k + ': ' }), String(v)))));
    } else {
      cAttrs.append(h('span', { class: 'dash', text: '—' }));
    }

    setText(cPrice, formatPrice(s.price, s.currency));

    const stock = int(s.stock);
    setText(cStock, numFmt.format(stock));
    cStock.classList.toggle('is-zero', stock <= 0);
    cStock.classList.toggle('is-low', stock > 0 && stock <= LOW_STOCK);
    // Low-stock mode: the channels no longer share the last units.
    if (s.mode === 'allocated') {
      const held = int(s.reserved);
      cStock.append(h('span', {
        class: 'sub alloc', 'data-mode': 'allocated',
        title: 'Selling fast on both channels: TikTok Shop holds a share only it can sell, the website sells the rest',
        text: `Low stock: website ${numFmt.format(int(s.available_web))}, TikTok ${numFmt.format(int(s.tiktok_share))}` +
          (held > 0 ? `, ${numFmt.format(held)} held while TikTok orders arrive` : ''),
      }));
    }

    const tk = s.tiktok && typeof s.tiktok === 'object' ? s.tiktok : {};
    const away = tk.status === 'not_connected';
    const pushing = tk.status === 'synced' && !!tk.push_pending;
    clear(cPushed);
    if (isNum(tk.last_pushed_quantity)) {
      const differs = pushing && tk.last_pushed_quantity !== stock;
      cPushed.append(h('span', {
        class: away ? 'qty stale' : differs ? 'qty differs' : 'qty',
        title: away ? 'Last sent before disconnecting: TikTok Shop keeps selling at this quantity until you connect again'
          : differs ? 'Differs from store stock — an update is on its way' : null,
        text: numFmt.format(tk.last_pushed_quantity),
      }));
      cPushed.append(h('span', { class: 'sub' }, away ? 'last sent ' : null,
        toMs(tk.last_pushed_at) ? timeEl(tk.last_pushed_at) : 'time unknown'));
    } else {
      cPushed.append(h('span', { class: 'dash', text: '—' }), h('span', { class: 'sub', text: 'Not pushed yet' }));
    }

    clear(cStatus);
    const st = pushing ? 'pushing' : (tk.status || 'not_synced');
    const map = {
      synced: ['Synced', 'badge-ok'],
      pushing: ['Pushing…', 'badge-info'],
      error: ['Error', 'badge-err'],
      not_synced: ['Not synced', 'badge-neutral'],
      not_connected: ['Not connected', 'badge-neutral'],
    };
    const [label, cls] = map[st] || [String(st), 'badge-neutral'];
    const badge = h('span', {
      class: 'badge ' + cls, text: label, 'data-status': st,
      title: tk.error ? String(tk.error) : away ? 'TikTok Shop is not connected: nothing is sent to it' : null,
    });
    cStatus.append(badge);
    if (tk.error) cStatus.append(h('span', { class: 'status-error', text: String(tk.error) }));
    if (tk.error) cStatus.setAttribute('title', String(tk.error)); else cStatus.removeAttribute('title');
  }

  // ------------------------------------------------------------- stock edit
  let editSeq = 0;

  function openEdit(sku) {
    if (state.editing === sku) return;
    if (state.editing) closeEdit(false);
    const entry = state.rows.get(sku);
    const info = state.productsBySku.get(sku);
    if (!entry || !info) return;
    state.editing = sku;
    window.clearTimeout(state.timer);
    updateLiveIndicator();

    const tr = entry.tr;
    tr.classList.add('is-editing');
    const cell = tr.querySelector('td.actions');
    const editBtn = cell.querySelector('.edit-stock');
    editBtn.hidden = true;

    const n = ++editSeq;
    const current = int(info.s.stock);
    const mode = h('select', { class: 'stock-mode', id: `stock-mode-${n}` },
      h('option', { value: 'set', text: 'Set to' }),
      h('option', { value: 'delta', text: 'Adjust by' }));
    const input = h('input', {
      class: 'stock-input', id: `stock-input-${n}`, type: 'number', inputmode: 'numeric', step: '1',
      value: String(current), 'aria-describedby': `stock-error-${n}`, autocomplete: 'off',
    });
    const save = h('button', { type: 'submit', class: 'btn btn-primary stock-save', text: 'Save' });
    const cancel = h('button', { type: 'button', class: 'btn stock-cancel', text: 'Cancel' });
    const err = h('p', { class: 'field-error stock-error', id: `stock-error-${n}`, hidden: true });
    const form = h('form', { class: 'stock-form', novalidate: true, 'aria-label': `Edit stock for ${sku}` },
      h('label', { class: 'visually-hidden', for: `stock-mode-${n}`, text: `How to change stock for ${sku}` }), mode,
      h('label', { class: 'visually-hidden', for: `stock-input-${n}`, text: 'Quantity' }), input,
      save, cancel, err);

    let dirty = false;
    input.addEventListener('input', () => {
      dirty = true;
      err.hidden = true;
      input.removeAttribute('aria-invalid');
    });
    mode.addEventListener('change', () => {
      if (!dirty) input.value = mode.value === 'delta' ? '0' : String(current);
      input.min = mode.value === 'set' ? '0' : '';
      err.hidden = true;
      input.removeAttribute('aria-invalid');
    });
    input.min = '0';
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); closeEdit(true); }
      else if (ev.key === 'Enter' && ev.target === mode) { ev.preventDefault(); form.requestSubmit(save); }
    });
    cancel.addEventListener('click', () => closeEdit(true));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      saveStock(sku, form, mode, input, save, err);
    });

    cell.append(form);
    input.focus();
    input.select();
  }

  function closeEdit(restoreFocus) {
    const sku = state.editing;
    if (!sku) return;
    state.editing = null;
    const entry = state.rows.get(sku);
    if (entry) {
      const tr = entry.tr;
      tr.classList.remove('is-editing');
      const form = tr.querySelector('form.stock-form');
      if (form) form.remove();
      const btn = tr.querySelector('.edit-stock');
      if (btn) {
        btn.hidden = false;
        if (restoreFocus && tr.isConnected) btn.focus();
      }
    }
    updateLiveIndicator();
    if (state.authed) {
      // Pick up anything that changed while we were paused.
      state.sigs.delete('products');
      renderProducts();
      scheduleRefresh();
    }
  }

  function showStockError(err, input, message) {
    err.textContent = message;
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  /** A fresh Idempotency-Key (getRandomValues also works on plain http). */
  function newEditKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'page-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  async function saveStock(sku, form, mode, input, save, err) {
    const raw = String(input.value).trim();
    const m = mode.value === 'delta' ? 'delta' : 'set';
    if (!/^[+-]?\d+$/.test(raw)) {
      showStockError(err, input, 'Enter a whole number.');
      return;
    }
    const n = parseInt(raw, 10);
    if (!Number.isSafeInteger(n) || Math.abs(n) > 1e9) { showStockError(err, input, 'That number is too large.'); return; }
    if (m === 'set' && n < 0) { showStockError(err, input, 'Stock can’t be negative. Enter 0 or more.'); return; }
    if (m === 'delta' && n === 0) { showStockError(err, input, 'Enter an amount to add (e.g. 5) or remove (e.g. -2).'); return; }

    // Saving the same value again in this open form after a lost answer
    // (network, 5xx) keeps the key, so the server applies it once even if
    // the first try got through. Another value, or a new form, is a new edit.
    const what = `${m} ${n}`;
    if (form.dataset.editWhat !== what) {
      form.dataset.editWhat = what;
      form.dataset.editKey = newEditKey();
    }
    setBusy(save, true);
    try {
      const d = await api('POST', API.stock(sku), m === 'set' ? { set: n } : { delta: n },
        { headers: { 'Idempotency-Key': form.dataset.editKey } });
      delete form.dataset.editWhat;
      const info = state.productsBySku.get(sku);
      const newStock = d && isNum(d.stock) ? d.stock : null;
      if (info && newStock !== null) info.s.stock = newStock;
      // The row reads "Pushing…" until the server shows the push done.
      if (info && info.s.tiktok && typeof info.s.tiktok === 'object') {
        info.s.tiktok = Object.assign({}, info.s.tiktok, { push_pending: true });
        state.pushWait.set(sku, performance.now());
      }
      if (state.editing === sku) closeEdit(true);
      const entry = state.rows.get(sku);
      if (entry) {
        entry.tr.classList.remove('flash');
        void entry.tr.offsetWidth; // restart the animation
        entry.tr.classList.add('flash');
      }
      let msg = newStock !== null ? `Stock for ${sku} is now ${numFmt.format(newStock)}.` : `Stock for ${sku} updated.`;
      if (d && int(d.oversold) > 0) msg += ` Oversold by ${numFmt.format(int(d.oversold))}.`;
      toast(msg, 'ok');
      loadActivity();
    } catch (e) {
      if (e.status > 0 && e.status < 500) delete form.dataset.editWhat;
      if (e.status === 401) return;
      if (!form.isConnected) { apiErrorToast(e); return; }
      setBusy(save, false);
      // Shown once, next to the field it is about.
      showStockError(err, input, sentence(e.message));
    }
  }

  // ------------------------------------------------------------ channel rules
  // Each SKU's channel rule (its own value of a field, or the store default's),
  // what TikTok Shop is shown under it and the units held for checkouts. One
  // row at a time is edited inline; the store default is a row of its own.
  const RULE_DEFAULT = '*default'; // not a SKU: SKUs never contain '*'
  const RULE_NUMBERS = [
    { key: 'buffer', label: 'Buffer' },
    { key: 'percent', label: 'Percent' },
    { key: 'zero_at', label: 'Zero at' },
    { key: 'max', label: 'Max' },
  ];
  const RULE_LABELS = { buffer: 'Buffer', percent: 'Percent', zero_at: 'Zero at', max: 'Max', sync: 'Sync' };
  let ruleSeq = 0;

  const hasOwn = (o, k) => !!o && Object.prototype.hasOwnProperty.call(o, k);

  const loadRules = single(async () => {
    const errEl = $('#rules-error');
    let d;
    try { d = await getSection(API.rules); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    state.rules = d && typeof d === 'object' ? {
      default: d.default && typeof d.default === 'object' ? d.default : {},
      skus: d.skus && typeof d.skus === 'object' ? d.skus : {},
    } : null;
    renderRules();
  });

  function ruleText(key, v) {
    if (key === 'max') return v === null || v === undefined ? 'no cap' : numFmt.format(int(v));
    if (key === 'sync') return v === false ? 'off' : 'on';
    if (key === 'percent') return `${int(v, 100)}%`;
    return numFmt.format(int(v));
  }

  /** The rows of the table: the store default, then every SKU of the catalog. */
  function ruleRows() {
    const own = state.rules ? state.rules.skus : {};
    const rows = [];
    for (const p of state.products || []) {
      for (const s of Array.isArray(p.skus) ? p.skus : []) {
        if (!s || s.sku === undefined || s.sku === null) continue;
        const key = String(s.sku);
        rows.push({ key, p, s, rule: hasOwn(own, key) && own[key] && typeof own[key] === 'object' ? own[key] : null });
      }
    }
    return rows;
  }

  function renderRules() {
    const section = $('#rules');
    show(section, !!state.rules);
    if (!state.rules) return;
    const def = state.rules.default;
    const rows = ruleRows();
    if (!changed('rules', [def, rows.map((r) => [r.key, r.p.title, r.rule, r.s.tiktok_shown, r.s.held])])) return;
    const editing = state.ruleEdit ? state.ruleEdit.key : null;
    if (editing && editing !== RULE_DEFAULT && !rows.some((r) => r.key === editing)) closeRuleEdit(false);

    show($('#rules-empty'), state.products !== null && !rows.length);
    show($('#rules-table-wrap'), true);
    placeRuleRow($('#rules-default-body'), 0, { key: RULE_DEFAULT, rule: def }, def);

    const tbody = $('#rules-body');
    const keep = new Set([RULE_DEFAULT]);
    rows.forEach((r, i) => { keep.add(r.key); placeRuleRow(tbody, i, r, def); });
    for (const tr of Array.from(tbody.children)) {
      if (!keep.has(tr.dataset.ruleSku)) tr.remove();
    }
    for (const key of Array.from(state.ruleRows.keys())) {
      if (!keep.has(key)) state.ruleRows.delete(key);
    }
  }

  /** Put row r at position i of tbody, filled unless it is being edited. */
  function placeRuleRow(tbody, i, r, def) {
    let entry = state.ruleRows.get(r.key);
    const s = sig([r.rule, def, r.p && r.p.title, r.s && r.s.tiktok_shown, r.s && r.s.held]);
    if (!entry) {
      entry = { tr: buildRuleRow(r), sig: '' };
      state.ruleRows.set(r.key, entry);
    }
    entry.r = r;
    if (entry.sig !== s && !(state.ruleEdit && state.ruleEdit.key === r.key)) {
      fillRuleRow(entry.tr, r, def);
      entry.sig = s;
    }
    const at = tbody.children[i];
    if (at !== entry.tr) tbody.insertBefore(entry.tr, at || null);
  }

  function buildRuleRow(r) {
    const isDefault = r.key === RULE_DEFAULT;
    const tr = h('tr', { 'data-rule-sku': r.key, class: isDefault ? 'rule-default-row' : null },
      h('th', { scope: 'row', class: 'rule-sku', 'data-label': 'SKU' }),
      RULE_NUMBERS.map((f) => h('td', { class: 'num rule-field', 'data-field': f.key, 'data-label': f.label })),
      h('td', { class: 'rule-field', 'data-field': 'sync', 'data-label': 'Sync' }),
      h('td', { class: 'num shown', 'data-label': 'TikTok shown' }),
      h('td', { class: 'num held', 'data-label': 'Held' }),
      h('td', { class: 'actions' }));
    return tr;
  }

  function fillRuleRow(tr, r, def) {
    const isDefault = r.key === RULE_DEFAULT;
    const name = isDefault ? 'the store default' : r.key;
    const cSku = tr.querySelector('.rule-sku');
    clear(cSku);
    if (isDefault) {
      cSku.append(h('span', { class: 'title', text: 'Store default' }), h('span', { class: 'sub', text: 'for every SKU without its own value' }));
    } else {
      cSku.append(h('code', { text: r.key }));
      if (r.p && r.p.title) cSku.append(h('span', { class: 'sub', text: r.p.title }));
    }

    for (const key of ['buffer', 'percent', 'zero_at', 'max', 'sync']) {
      const td = tr.querySelector(`td[data-field="${key}"]`);
      clear(td);
      if (isDefault || hasOwn(r.rule, key)) {
        td.append(h('span', { class: 'rule-own', text: ruleText(key, (isDefault ? def : r.rule)[key]) }));
      } else {
        td.append(h('span', { class: 'rule-inherited', title: 'The store default', text: ruleText(key, def[key]) }),
          h('span', { class: 'sub', text: 'default' }));
      }
    }

    const shown = tr.querySelector('td.shown');
    const held = tr.querySelector('td.held');
    clear(shown);
    clear(held);
    held.classList.remove('is-held');
    if (isDefault) {
      shown.append(h('span', { class: 'dash', text: '—' }));
      held.append(h('span', { class: 'dash', text: '—' }));
    } else {
      if (isNum(r.s.tiktok_shown)) shown.append(numFmt.format(r.s.tiktok_shown));
      else shown.append(h('span', { class: 'dash', title: 'Sync is off: shopsync doesn’t send this SKU’s stock', text: 'not sent' }));
      const n = int(r.s.held);
      held.append(numFmt.format(n));
      held.classList.toggle('is-held', n > 0);
    }

    const actions = tr.querySelector('td.actions');
    clear(actions);
    actions.append(h('button', {
      type: 'button', class: 'btn btn-small edit-rule', 'data-rule-sku': r.key,
      'aria-label': `Edit the rule of ${name}`, text: isDefault ? 'Edit default' : 'Edit rule',
    }));
    if (!isDefault && r.rule) {
      actions.append(h('button', {
        type: 'button', class: 'btn btn-small btn-ghost reset-rule', 'data-rule-sku': r.key,
        'aria-label': `Reset the rule of ${r.key} to the store default`, text: 'Reset to default',
      }));
    }
  }

  function openRuleEdit(key) {
    if (state.ruleEdit && state.ruleEdit.key === key) return;
    if (state.ruleEdit) closeRuleEdit(false);
    const entry = state.ruleRows.get(key);
    if (!entry || !state.rules) return;
    const isDefault = key === RULE_DEFAULT;
    const def = state.rules.default;
    const rule = isDefault ? def : (entry.r.rule || {});
    const name = isDefault ? 'the store default' : key;
    const n = ++ruleSeq;
    const tr = entry.tr;
    tr.classList.add('is-editing');

    const formId = `rule-form-${n}`;
    const ctl = { key, tr, inputs: {}, errors: {} };
    const fieldError = (field) => h('p', { class: 'field-error rule-error', id: `rule-error-${n}-${field}`, 'data-error-for': field, hidden: true });

    for (const f of RULE_NUMBERS) {
      const td = tr.querySelector(`td[data-field="${f.key}"]`);
      clear(td);
      let value = '';
      if (isDefault || hasOwn(rule, f.key)) value = rule[f.key] === null ? (isDefault ? '' : 'none') : String(int(rule[f.key]));
      const placeholder = isDefault ? (f.key === 'max' ? 'no cap' : '')
        : `default ${f.key === 'max' && def.max === null ? 'none' : ruleText(f.key, def[f.key]).replace('%', '')}`;
      const input = h('input', {
        type: 'text', inputmode: f.key === 'max' ? 'text' : 'numeric', class: 'rule-input', name: f.key,
        id: `rule-${n}-${f.key}`, form: formId, value, placeholder: placeholder || null, autocomplete: 'off', spellcheck: 'false',
        'aria-describedby': `rule-error-${n}-${f.key}`,
      });
      const err = fieldError(f.key);
      td.append(h('label', { class: 'visually-hidden', for: input.id, text: `${f.label} for ${name}` }), input, err);
      ctl.inputs[f.key] = input;
      ctl.errors[f.key] = err;
    }

    const syncTd = tr.querySelector('td[data-field="sync"]');
    clear(syncTd);
    const sync = h('select', { class: 'rule-input rule-sync', name: 'sync', id: `rule-${n}-sync`, form: formId, 'aria-describedby': `rule-error-${n}-sync` },
      isDefault ? null : h('option', { value: '', text: `default (${ruleText('sync', def.sync)})` }),
      h('option', { value: 'on', text: 'on' }),
      h('option', { value: 'off', text: 'off' }));
    sync.value = isDefault || hasOwn(rule, 'sync') ? (rule.sync === false ? 'off' : 'on') : '';
    const syncErr = fieldError('sync');
    syncTd.append(h('label', { class: 'visually-hidden', for: sync.id, text: `Sync for ${name}` }), sync, syncErr);
    ctl.inputs.sync = sync;
    ctl.errors.sync = syncErr;

    const actions = tr.querySelector('td.actions');
    clear(actions);
    ctl.save = h('button', { type: 'submit', class: 'btn btn-primary btn-small rule-save', text: 'Save' });
    ctl.cancel = h('button', { type: 'button', class: 'btn btn-small rule-cancel', text: 'Cancel' });
    ctl.formError = h('p', { class: 'field-error rule-form-error', hidden: true });
    ctl.form = h('form', { id: formId, class: 'rule-form', novalidate: true, 'aria-label': `Edit the rule of ${name}` },
      ctl.save, ctl.cancel, ctl.formError);
    actions.append(ctl.form);

    for (const [field, input] of Object.entries(ctl.inputs)) {
      input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', () => {
        ctl.errors[field].hidden = true;
        input.removeAttribute('aria-invalid');
      });
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') { ev.preventDefault(); closeRuleEdit(true); }
      });
    }
    ctl.form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { ev.preventDefault(); closeRuleEdit(true); }
    });
    ctl.cancel.addEventListener('click', () => closeRuleEdit(true));
    ctl.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      saveRule(ctl);
    });

    state.ruleEdit = ctl;
    ctl.inputs.buffer.focus();
    ctl.inputs.buffer.select();
  }

  function closeRuleEdit(restoreFocus) {
    const ctl = state.ruleEdit;
    if (!ctl) return;
    state.ruleEdit = null;
    ctl.tr.classList.remove('is-editing');
    const entry = state.ruleRows.get(ctl.key);
    if (entry) entry.sig = '';
    state.sigs.delete('rules');
    renderRules();
    if (restoreFocus && ctl.tr.isConnected) {
      const btn = ctl.tr.querySelector('.edit-rule');
      if (btn) btn.focus();
    }
  }

  function showRuleError(ctl, field, message) {
    const err = ctl.errors[field];
    err.textContent = message;
    err.hidden = false;
    ctl.inputs[field].setAttribute('aria-invalid', 'true');
  }

  /** The rule the form asks for, or null after showing what is wrong with it. */
  function readRuleForm(ctl) {
    const rule = {};
    let first = null;
    for (const f of RULE_NUMBERS) {
      const input = ctl.inputs[f.key];
      ctl.errors[f.key].hidden = true;
      input.removeAttribute('aria-invalid');
      const raw = String(input.value).trim();
      if (raw === '') continue; // the default's value (the built-in one in the default's row)
      if (f.key === 'max' && /^(none|no cap)$/i.test(raw)) { rule.max = null; continue; }
      if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(parseInt(raw, 10))) {
        showRuleError(ctl, f.key, f.key === 'max' ? 'Enter a whole number, or none for no cap.' : 'Enter a whole number.');
        first = first || input;
        continue;
      }
      // Ranges are the server's to check: its answer is shown next to the field.
      rule[f.key] = parseInt(raw, 10);
    }
    ctl.errors.sync.hidden = true;
    if (ctl.inputs.sync.value) rule.sync = ctl.inputs.sync.value === 'on';
    if (first) { first.focus(); return null; }
    return rule;
  }

  /** A 400's bad fields next to their inputs; anything else under the buttons. */
  function showRuleSaveError(ctl, e, prefix) {
    // The message reads "path: reason; path: reason", in the order of e.fields.
    const reasons = new Map();
    for (const part of String(e.message).split(/; (?=[\w.-]+: )/)) {
      const at = part.indexOf(': ');
      if (at > 0) reasons.set(part.slice(0, at), part.slice(at + 2));
    }
    const rest = [];
    let first = null;
    for (const path of e.status === 400 ? e.fields : []) {
      const field = path.startsWith(prefix) ? path.slice(prefix.length) : path;
      const reason = reasons.get(path);
      if (hasOwn(ctl.inputs, field)) {
        showRuleError(ctl, field, sentence(`${RULE_LABELS[field]} ${reason || 'is not valid'}`));
        first = first || ctl.inputs[field];
      } else {
        rest.push(reason ? `${path}: ${reason}` : path);
      }
    }
    if (!first || rest.length) {
      ctl.formError.textContent = sentence(rest.length ? rest.join('; ') : e.message);
      ctl.formError.hidden = false;
    }
    (first || ctl.save).focus();
  }

  async function saveRule(ctl) {
    const rule = readRuleForm(ctl);
    if (!rule) return;
    ctl.formError.hidden = true;
    const isDefault = ctl.key === RULE_DEFAULT;
    setBusy(ctl.save, true);
    try {
      let marked = 0;
      if (isDefault) {
        // PUT replaces the whole document: the SKUs' own rules go back as they are now.
        const cur = await api('GET', API.rules);
        const d = await api('PUT', API.rules, { default: rule, skus: cur && cur.skus ? cur.skus : {} });
        marked = int(d && d.marked);
        state.rules = { default: d.default || rule, skus: d.skus || {} };
      } else {
        // Nothing of its own: the SKU follows the default, as "Reset to default" does.
        const empty = !Object.keys(rule).length;
        const d = await api(empty ? 'DELETE' : 'PUT', API.rule(ctl.key), empty ? undefined : rule);
        marked = int(d && d.marked);
        if (empty) delete state.rules.skus[ctl.key];
        else state.rules.skus[ctl.key] = d && d.rule && typeof d.rule === 'object' ? d.rule : rule;
      }
      if (state.ruleEdit === ctl) closeRuleEdit(true);
      const what = isDefault ? 'The store default' : `The rule of ${ctl.key}`;
      toast(`${what} is saved.` + (marked ? ` ${plural(marked, 'SKU')} will be sent to TikTok Shop again.` : ''), 'ok');
      rulesChanged();
    } catch (e) {
      if (e.status === 401) return;
      setBusy(ctl.save, false);
      if (state.ruleEdit !== ctl) { apiErrorToast(e); return; }
      showRuleSaveError(ctl, e, isDefault ? 'default.' : '');
    }
  }

  async function resetRule(sku, btn) {
    setBusy(btn, true);
    try {
      const d = await api('DELETE', API.rule(sku));
      if (state.rules) delete state.rules.skus[sku];
      const marked = int(d && d.marked);
      toast(`${sku} follows the store default again.` + (marked ? ' Its stock will be sent to TikTok Shop again.' : ''), 'ok');
      rulesChanged();
    } catch (e) {
      setBusy(btn, false);
      apiErrorToast(e);
    }
  }

  /** After a rule change: the table now, what TikTok is shown once the server says. */
  function rulesChanged() {
    state.sigs.delete('rules');
    renderRules();
    state.sigs.delete('products');
    loadProducts();
    loadRules();
  }

  // ----------------------------------------------------------------- activity
  function refLabel(reason, ref) {
    const label = REASON_LABELS[reason] || (reason ? String(reason).replace(/_/g, ' ') : 'Change');
    const parts = [h('span', { class: 'label', text: label })];
    // An admin edit's ref is its Idempotency-Key: kept for the curious, not shown.
    if (ref && reason !== 'admin') parts.push(' ', h('span', { class: 'ref', title: String(ref), text: String(ref) }));
    return parts;
  }

  function skuMeta(sku) {
    const info = state.productsBySku.get(String(sku));
    const parts = [h('code', { text: String(sku) })];
    if (info && info.p.title) parts.push(' ', info.p.title);
    return parts;
  }

  const loadActivity = single(async () => {
    const errEl = $('#activity-error');
    let d;
    try { d = await getSection(API.activity); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    const items = d && Array.isArray(d.activity) ? d.activity : [];
    state.activityItems = items;
    renderActivity(items);
  });

  function renderActivity(items) {
    // Product titles are shown next to SKUs, so re-render when they change too.
    const titles = items.map((a) => { const i = state.productsBySku.get(String(a.sku)); return i ? i.p.title : ''; });
    if (!changed('activity', [items, titles])) return;
    const list = $('#activity-list');
    clear(list);
    for (const a of items) {
      const delta = int(a.delta);
      const icon = REASON_ICONS[a.reason] || '•';
      list.append(h('li', { class: 'feed-item', 'data-reason': a.reason || '', 'data-activity-sku': a.sku || '' },
        h('span', { class: 'feed-icon ' + (delta > 0 ? 'in' : delta < 0 ? 'out' : ''), 'aria-hidden': 'true', text: icon }),
        h('div', { class: 'feed-main' },
          h('p', { class: 'feed-text' },
            refLabel(a.reason, a.ref), ' ',
            a.delta !== undefined && a.delta !== null ? h('span', { class: 'delta ' + (delta < 0 ? 'neg' : delta > 0 ? 'pos' : ''), text: signed(delta) }) : null,
            isNum(a.stock) ? [' ', h('span', { class: 'arrow', 'aria-label': 'stock now', text: '→' }), ' ', h('strong', { text: numFmt.format(a.stock) })] : null),
          h('p', { class: 'feed-meta' }, a.sku ? skuMeta(a.sku) : null)),
        h('span', { class: 'feed-side' }, timeEl(a.ts))));
    }
    show($('#activity-empty'), !items.length);
  }

  const loadOversells = single(async () => {
    const errEl = $('#oversells-error');
    let d;
    try { d = await getSection(API.oversells); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    const items = d && Array.isArray(d.oversells) ? d.oversells : [];
    if (!changed('oversells', items)) return;
    const list = $('#oversells-list');
    clear(list);
    for (const o of items) {
      list.append(h('li', { class: 'list-item', 'data-oversell-sku': o.sku || '' },
        h('div', { class: 'main' },
          h('p', {},
            h('code', { text: String(o.sku || '?') }), ' — requested ', h('strong', { text: numFmt.format(int(o.requested)) }),
            ', only ', numFmt.format(int(o.applied)), ' available · ',
            h('strong', { class: 'short', text: `short by ${numFmt.format(int(o.shortfall))}` })),
          h('p', { class: 'meta' }, refLabel(o.reason, o.ref), ' · ', timeEl(o.ts)))));
    }
    setText($('#oversells-count'), items.length ? `(${items.length})` : '');
    show($('#oversells-empty'), !items.length);
  });

  const loadUnmatched = single(async () => {
    const errEl = $('#unmatched-error');
    let d;
    try { d = await getSection(API.unmatched); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    const items = d && Array.isArray(d.unmatched) ? d.unmatched : [];
    if (!changed('unmatched', items)) return;
    const list = $('#unmatched-list');
    clear(list);
    for (const u of items) {
      const src = SOURCE_LABELS[u.source] || String(u.source || 'Unknown');
      const what = u.sku ? ['SKU ', h('code', { text: String(u.sku) })] : ['an item without a SKU'];
      list.append(h('li', { class: 'list-item' },
        h('div', { class: 'main' },
          h('p', {}, what, ' × ', h('strong', { text: numFmt.format(int(u.quantity)) }), ' isn’t in your catalog'),
          h('p', { class: 'meta' },
            `${src} ${u.source === 'stripe' ? 'checkout' : 'order'} `, u.ref ? h('span', { class: 'ref', title: String(u.ref), text: String(u.ref) }) : '—',
            u.sku_id ? [' · TikTok SKU ID ', h('span', { class: 'ref', title: String(u.sku_id), text: String(u.sku_id) })] : null,
            ' · ', timeEl(u.ts)))));
    }
    setText($('#unmatched-count'), items.length ? `(${items.length})` : '');
    show($('#unmatched-empty'), !items.length);
  });

  const loadDlq = single(async () => {
    const errEl = $('#dlq-error');
    let d;
    try { d = await getSection(API.dlq); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    const items = d && Array.isArray(d.entries) ? d.entries : [];
    const total = d && isNum(d.total) ? d.total : items.length;
    if (!changed('dlq', [items, total])) return;
    const list = $('#dlq-list');
    const focusedId = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    clear(list);
    for (const x of items) {
      const src = SOURCE_LABELS[x.source] || String(x.source || 'Unknown');
      const btn = h('button', {
        type: 'button', class: 'btn btn-small replay', 'data-id': String(x.id),
        'aria-label': `Replay ${src} event ${x.event_id || x.id}`, text: 'Replay',
      });
      list.append(h('li', { class: 'list-item', 'data-id': String(x.id) },
        h('div', { class: 'main' },
          h('p', {}, `${src} event `, h('span', { class: 'ref', title: String(x.event_id || ''), text: String(x.event_id || x.id) })),
          x.error ? h('p', { class: 'err', text: String(x.error) }) : null,
          h('p', { class: 'meta' }, plural(int(x.attempts), 'attempt'), ' · failed ', timeEl(x.failed_at))),
        btn));
      if (focusedId && focusedId === String(x.id)) btn.focus();
    }
    setText($('#dlq-count'), total ? `(${numFmt.format(total)})` : '');
    show($('#dlq-empty'), !items.length);
    show($('#dlq-replay-all'), items.length > 0);
    const more = $('#dlq-more');
    setText(more, total > items.length ? `Showing ${items.length} of ${numFmt.format(total)}.` : '');
    show(more, total > items.length);
  });

  async function replay(body, btn) {
    setBusy(btn, true);
    try {
      const d = await api('POST', API.dlqReplay, body);
      const n = d && isNum(d.replayed) ? d.replayed : null;
      toast(n === null ? 'Replay requested.' : n === 0 ? 'Nothing to replay.' : `Replayed ${plural(n, 'event')}.`, n === 0 ? 'info' : 'ok');
      state.sigs.delete('dlq');
      await Promise.all([loadDlq(), loadActivity(), loadProducts()]);
      if (!btn.isConnected) {
        const next = $('#dlq-list .replay') || $('#dlq-title');
        if (next === $('#dlq-title')) next.setAttribute('tabindex', '-1');
        next.focus();
      }
    } catch (e) {
      apiErrorToast(e);
    } finally {
      setBusy(btn, false);
    }
  }

  const loadReconcile = single(async () => {
    const errEl = $('#reconcile-error');
    let d;
    try { d = await getSection(API.reconcile); } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    renderReconcile(d && d.report ? d.report : null);
  });

  function renderReconcile(r) {
    if (!changed('reconcile', r)) return;
    show($('#reconcile-empty'), !r);
    show($('#reconcile-report'), !!r);
    if (!r) return;
    const drift = Array.isArray(r.drift) ? r.drift : [];
    const errors = Array.isArray(r.errors) ? r.errors : [];
    const summary = $('#reconcile-summary');
    clear(summary);
    summary.append('Last run ', timeEl(r.ts), ': checked ', h('strong', { text: plural(int(r.checked), 'SKU') }), ' — ');
    if (!drift.length) summary.append(h('span', { class: 'badge badge-ok', text: 'Everything matched' }));
    else summary.append(`${plural(drift.length, 'difference')} found, ${numFmt.format(int(r.repaired))} repaired.`);
    if (errors.length) summary.append(' ', h('span', { class: 'badge badge-err', text: plural(errors.length, 'error') }));

    const tbody = $('#reconcile-drift tbody');
    clear(tbody);
    for (const x of drift) {
      tbody.append(h('tr', { 'data-drift-sku': String(x.sku) },
        h('td', {}, h('code', { text: String(x.sku) })),
        h('td', { class: 'num', text: isNum(x.store) ? numFmt.format(x.store) : '—' }),
        h('td', { class: 'num', text: isNum(x.projection) ? numFmt.format(x.projection) : '—' }),
        h('td', { class: 'num', text: isNum(x.tiktok) ? numFmt.format(x.tiktok) : '—' })));
    }
    show($('#reconcile-drift-wrap'), drift.length > 0);

    const el = $('#reconcile-errors');
    clear(el);
    for (const e of errors) {
      let text = e;
      if (e && typeof e === 'object') text = [e.sku, e.message || e.error].filter(Boolean).join(': ') || sig(e);
      el.append(h('li', { text: String(text) }));
    }
    show(el, errors.length > 0);
  }

  async function runReconcile() {
    const btn = $('#reconcile-run');
    setBusy(btn, true);
    setText(btn, 'Running…');
    try {
      const d = await api('POST', API.reconcile, { repair: true });
      const r = d && Object.prototype.hasOwnProperty.call(d, 'report') ? d.report : d;
      if (r && typeof r === 'object' && (r.checked !== undefined || r.drift !== undefined)) {
        state.unsupported.delete(API.reconcile);
        $('#reconcile-error').hidden = true;
        renderReconcile(r);
        const drift = Array.isArray(r.drift) ? r.drift.length : 0;
        toast(drift ? `Reconciliation found ${plural(drift, 'difference')} and repaired ${int(r.repaired)}.`
          : `Reconciliation checked ${plural(int(r.checked), 'SKU')}: everything matched.`, 'ok');
      } else {
        toast('Reconciliation finished.', 'ok');
        await loadReconcile();
      }
      state.sigs.delete('products');
      loadProducts();
      loadActivity();
    } catch (e) {
      apiErrorToast(e);
    } finally {
      setBusy(btn, false);
      setText(btn, 'Run now');
    }
  }

  // ------------------------------------------------------------- sign in/out
  async function onLogin(ev) {
    ev.preventDefault();
    const input = $('#login-token');
    const btn = $('#login-submit');
    const err = $('#login-error');
    const token = input.value;
    if (!token.trim()) {
      err.textContent = 'Enter your admin token.';
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    setBusy(btn, true);
    err.hidden = true;
    try {
      const d = await api('POST', API.login, { token }, { noAuthRedirect: true });
      input.value = '';
      input.removeAttribute('aria-invalid');
      for (const t of $$('#toast .toast-err')) t.remove();
      state.csrf = d && typeof d.csrf === 'string' ? d.csrf : '';
      if (!state.csrf) {
        try {
          const s = await api('GET', API.sessionCheck, undefined, { noAuthRedirect: true });
          state.csrf = s && typeof s.csrf === 'string' ? s.csrf : '';
        } catch (_) { /* keep going; the server will say if CSRF is missing */ }
      }
      enterApp(true);
    } catch (e) {
      // Once, next to the field; the form is all there is to look at.
      err.textContent = sentence(e.message);
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      input.select();
    } finally {
      setBusy(btn, false);
    }
  }

  async function onLogout() {
    const btn = $('#logout');
    setBusy(btn, true);
    try {
      await api('POST', API.logout, {}, { noAuthRedirect: true });
      signedOut('You’re signed out.');
    } catch (e) {
      if (e.status === 401) signedOut('You’re signed out.');
      else apiErrorToast(e);
    } finally {
      setBusy(btn, false);
    }
  }

  // ------------------------------------------------------------------ wiring
  // ---------------------------------------------------------- TikTok Ads
  // The "TikTok Ads" section: connection form, test mode, today's counts,
  // last events, ads dead letters with replay, offline CSV upload.
  const ADS = {
    connection: '/api/admin/ads/connection',
    events: '/api/admin/ads/events',
    offline: '/api/admin/ads/offline-events',
  };

  const loadAds = single(async () => {
    const errEl = $('#ads-error');
    let conn, ov;
    try {
      [conn, ov] = await Promise.all([getSection(ADS.connection), getSection(ADS.events)]);
    } catch (e) { sectionFailed(errEl, e); return; }
    errEl.hidden = true;
    if (!conn || !ov) return;
    if (changed('ads', [conn, ov])) renderAds(conn, ov);
  });

  function renderAds(conn, ov) {
    const badge = $('#ads-status');
    const refused = typeof conn.token_rejected === 'string' && conn.token_rejected;
    setText(badge, refused ? 'Token refused' : conn.connected ? (conn.test_mode ? 'Test mode' : 'Connected') : 'Not connected');
    badge.className = 'badge ' + (refused ? 'badge-warn' : conn.connected ? 'badge-ok' : 'badge-neutral');
    show($('#ads-test-mode'), !!conn.test_mode);
    setText($('#ads-test-code'), String(conn.test_event_code || ''));
    show($('#ads-token-rejected'), !!refused);
    setText($('#ads-token-rejected-text'), refused ? String(conn.token_rejected) : '');
    const form = $('#ads-form');
    if (!form.contains(document.activeElement)) {
      $('#ads-pixel').value = String(conn.pixel_id || '');
      $('#ads-test').value = String(conn.test_event_code || '');
      $('#ads-offline-set').value = String(conn.offline_event_set_id || '');
    }
    show($('#ads-disconnect'), conn.configured_from === 'page');
    const t = ov.today || {};
    setText($('#ads-sent'), numFmt.format(int(t.sent)));
    setText($('#ads-failed'), numFmt.format(int(t.failed)));
    setText($('#ads-waiting'), numFmt.format(int(t.waiting) + int(t.held)) + (int(t.held) ? ` (${numFmt.format(int(t.held))} kept until a new token)` : ''));
    const last = $('#ads-last');
    clear(last);
    if (conn.last_event_sent) {
      last.append(`${conn.last_event_sent.event} `, h('span', { class: 'ref', text: String(conn.last_event_sent.event_id || '') }), ' · ', timeEl(conn.last_event_sent.at));
    } else {
      last.append(h('span', { class: 'dash', text: '—' }));
    }
    const body = $('#ads-recent tbody');
    clear(body);
    const recent = Array.isArray(ov.recent) ? ov.recent : [];
    for (const r of recent) {
      const value = isNum(r.value) ? `${r.value} ${r.currency || ''}` : '—';
      const code = r.status === 'sent' ? 'OK' : `${r.code}: ${r.message || ''}`;
      body.append(h('tr', { 'data-event-id': String(r.event_id || '') },
        h('td', { text: String(r.event || '') }),
        h('td', {}, h('span', { class: 'ref', text: String(r.event_id || '') })),
        h('td', { class: 'num', text: value }),
        h('td', { class: r.status === 'sent' ? '' : 'err', text: code })));
    }
    show($('#ads-recent-empty'), !recent.length);
    const dlq = $('#ads-dlq');
    clear(dlq);
    const dead = Array.isArray(ov.dead_letters) ? ov.dead_letters : [];
    for (const x of dead) {
      dlq.append(h('li', { class: 'list-item', 'data-id': String(x.id) },
        h('div', { class: 'main' },
          h('p', {}, h('span', { class: 'ref', text: String(x.event_id || x.id) })),
          x.error ? h('p', { class: 'err', text: String(x.error) }) : null,
          h('p', { class: 'meta' }, 'failed ', timeEl(x.failed_at))),
        h('button', { type: 'button', class: 'btn btn-small replay', 'data-id': String(x.id),
          'aria-label': `Replay TikTok Ads event ${x.event_id || x.id}`, text: 'Replay' })));
    }
    setText($('#ads-dlq-count'), dead.length ? `(${dead.length})` : '');
    show($('#ads-dlq-empty'), !dead.length);
  }

  async function saveAds(ev) {
    ev.preventDefault();
    const btn = $('#ads-save');
    const errEl = $('#ads-form-error');
    const body = {
      pixel_id: $('#ads-pixel').value.trim(),
      test_event_code: $('#ads-test').value.trim(),
      offline_event_set_id: $('#ads-offline-set').value.trim(),
    };
    const token = $('#ads-token').value.trim();
    if (token) body.access_token = token;
    setBusy(btn, true);
    try {
      await api('PUT', ADS.connection, body);
      $('#ads-token').value = '';
      errEl.hidden = true;
      toast('TikTok Ads settings saved.', 'ok');
      state.sigs.delete('ads');
      await loadAds();
    } catch (e) {
      if (e.status === 400) { errEl.textContent = e.message; errEl.hidden = false; } else apiErrorToast(e);
    } finally {
      setBusy(btn, false);
    }
  }

  async function forgetAds(ev) {
    const btn = ev.currentTarget;
    setBusy(btn, true);
    try {
      await api('DELETE', ADS.connection);
      toast('TikTok Ads uses the environment’s settings again.', 'ok');
      state.sigs.delete('ads');
      await loadAds();
    } catch (e) { apiErrorToast(e); } finally { setBusy(btn, false); }
  }

  async function uploadAdsCsv(ev) {
    const btn = ev.currentTarget;
    const file = $('#ads-csv').files[0];
    if (!file) { toast('Choose a CSV file first.', 'err'); return; }
    setBusy(btn, true);
    try {
      const text = await file.text();
      const res = await fetch(ADS.offline, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'text/csv', Accept: 'application/json', 'X-CSRF-Token': state.csrf },
        body: text,
      });
      const d = await res.json().catch(() => null);
      if (!res.ok) {
        const msg = d && d.error && d.error.message ? d.error.message : `The upload failed (${res.status}).`;
        toast(msg, 'err');
        return;
      }
      const summary = $('#ads-csv-summary');
      setText(summary, `${plural(int(d.accepted), 'row')} accepted, ${plural(int(d.rejected), 'row')} refused.`);
      show(summary, true);
      const table = $('#ads-csv-results');
      const tbody = $('tbody', table);
      clear(tbody);
      for (const r of d.results || []) {
        const ok = r.status === 'accepted';
        tbody.append(h('tr', { class: ok ? '' : 'row-error', 'data-row': String(r.row) },
          h('td', { class: 'num', text: String(r.row) }),
          h('td', { text: String(r.event_id || '—') }),
          h('td', { class: ok ? '' : 'err', text: ok ? (r.duplicate ? 'Already sent' : 'Accepted') : String(r.error || 'Refused') })));
      }
      show(table, true);
      state.sigs.delete('ads');
      await loadAds();
    } catch (_) {
      toast('Can’t reach the shopsync server. Check your connection and try again.', 'err');
    } finally {
      setBusy(btn, false);
    }
  }

  function wireAds() {
    $('#ads-form').addEventListener('submit', saveAds);
    $('#ads-disconnect').addEventListener('click', forgetAds);
    $('#ads-csv-upload').addEventListener('click', uploadAdsCsv);
    $('#ads-dlq').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button.replay[data-id]');
      if (btn) replay({ id: btn.dataset.id }, btn).then(() => { state.sigs.delete('ads'); return loadAds(); });
    });
  }


  // ------------------------------------------ revenue and ad spend (report)
  const REPORT = {
    account: '/api/admin/ads/account',
    start: '/api/admin/ads/oauth/start',
    disconnect: '/api/admin/ads/oauth/disconnect',
    sync: '/api/admin/ads/spend/sync',
    daily: (from, to, fmt) => '/api/admin/reports/daily?from=' + from + '&to=' + to + (fmt ? '&format=' + fmt : ''),
    campaigns: (from, to) => '/api/admin/reports/campaigns?from=' + from + '&to=' + to,
  };
  const report = { days: 30, currency: '', chart: null, data: null, lastSync: null, loaded: false };

  function isoDay(d) { return d.toISOString().slice(0, 10); }

  function reportRange() {
    const to = new Date();
    const from = new Date(to.getTime() - (report.days - 1) * 86400000);
    return [isoDay(from), isoDay(to)];
  }

  const loadAdsAccount = single(async () => {
    let a;
    try { a = await getSection(REPORT.account); } catch (e) { sectionFailed($('#report-error'), e); return; }
    if (!a) return;
    if (changed('ads-account', a)) renderAdsAccount(a);
    // The report once signed in, then again after each spend sync.
    const last = (a.last_spend_sync && a.last_spend_sync.finished_at) || null;
    if (!report.loaded || last !== report.lastSync) { report.loaded = true; report.lastSync = last; loadReport(); }
  });

  function renderAdsAccount(a) {
    setText($('#ads-account-status'), a.connected
      ? `Connected (${a.advertisers.length} advertiser${a.advertisers.length === 1 ? '' : 's'})`
      : a.configured ? 'Not connected' : 'Not configured: set TIKTOK_APP_ID and TIKTOK_APP_SECRET');
    const job = a.last_spend_sync;
    const lastEl = $('#ads-spend-last');
    clear(lastEl);
    if (job) {
      lastEl.append(job.state === 'running' ? 'running…' : job.state, job.finished_at ? ' · ' : '',
        job.finished_at ? timeEl(job.finished_at) : '', job.error ? ' · ' + job.error : '');
    } else lastEl.append('never');
    show($('#ads-account-error'), !!a.error);
    setText($('#ads-account-error-text'), a.error ? String(a.error) : '');
    show($('#ads-account-connect'), !a.connected || !!a.reconnect);
    setText($('#ads-account-connect'), a.reconnect ? 'Reconnect TikTok Ads account' : 'Connect TikTok Ads account');
    $('#ads-account-connect').disabled = !a.configured;
    show($('#ads-spend-sync'), a.connected && a.selected.length > 0);
    show($('#ads-account-disconnect'), a.connected);
    const list = $('#ads-advertiser-list');
    clear(list);
    for (const adv of a.advertisers) {
      const id = 'adv-' + adv.id;
      list.append(h('div', { class: 'field field-inline' },
        h('input', { type: 'checkbox', id, value: adv.id, checked: a.selected.includes(adv.id) }),
        h('label', { for: id, text: `${adv.name || adv.id} · ${adv.currency || '?'} · ${adv.timezone || 'time zone unknown'}` })));
    }
    show($('#ads-advertisers'), a.advertisers.length > 0);
    const dl = $('#audience-advertisers');
    clear(dl);
    for (const adv of a.advertisers) dl.append(h('option', { value: adv.id, text: adv.name || adv.id }));
  }

  const loadReport = single(async () => {
    const [from, to] = reportRange();
    $('#report-csv').setAttribute('href', REPORT.daily(from, to, 'csv'));
    let d, c;
    try {
      [d, c] = await Promise.all([getSection(REPORT.daily(from, to)), getSection(REPORT.campaigns(from, to))]);
    } catch (e) { sectionFailed($('#report-error'), e); return; }
    $('#report-error').hidden = true;
    if (!d) return;
    report.data = d;
    renderReport(d, c);
  });

  function money(v, cur) {
    if (v === null || v === undefined) return '—';
    try { return new Intl.NumberFormat(undefined, { style: 'currency', currency: cur }).format(v); } catch (_) { return v + ' ' + cur; }
  }

  function renderReport(d, c) {
    const curs = d.currencies || [];
    if (!curs.includes(report.currency)) report.currency = curs[0] || '';
    const sel = $('#report-currency');
    clear(sel);
    for (const cur of curs) sel.append(h('option', { value: cur, selected: cur === report.currency, text: cur }));
    show(sel, curs.length > 1);
    show($('#report-currencies-note'), curs.length > 1);
    const cur = report.currency;
    const t = (d.totals || {})[cur];
    const tot = $('#report-totals');
    clear(tot);
    if (t) {
      const item = (label, value, id) => h('div', null, h('dt', { text: label }), h('dd', { id, text: value }));
      tot.append(
        item('Website revenue', `${money(t.web_revenue, cur)} (${numFmt.format(t.web_orders)} orders)`, 'report-total-web'),
        item('TikTok Shop GMV', `${money(t.tiktok_shop_gmv, cur)} (${numFmt.format(t.tiktok_shop_orders)} orders, ${numFmt.format(t.tiktok_shop_cancelled)} cancelled)`, 'report-total-tts'),
        item('Ad spend', money(t.ad_spend, cur), 'report-total-spend'),
        item('ROAS', t.roas === null ? '—' : Number(t.roas).toFixed(2), 'report-total-roas'));
    }
    const days = (d.days || []).filter((x) => x.currency === cur);
    show($('#report-empty'), !t);
    drawChart(days, cur);
    const body = $('#report-campaigns tbody');
    clear(body);
    for (const k of (c && c.campaigns) || []) {
      body.append(h('tr', null, h('td', { text: k.campaign_name || k.campaign_id }), h('td', { text: k.advertiser_id }),
        h('td', { class: 'num', text: money(k.spend, k.currency) }), h('td', { class: 'num', text: numFmt.format(k.clicks) }),
        h('td', { class: 'num', text: numFmt.format(k.conversions) })));
    }
  }

  function drawChart(days, cur) {
    const el = $('#report-chart');
    if (report.chart) { report.chart.destroy(); report.chart = null; }
    clear(el);
    if (!days.length || typeof window.uPlot !== 'function') return;
    const xs = days.map((x) => Date.parse(x.date + 'T00:00:00Z') / 1000);
    const bars = window.uPlot.paths.bars;
    const opts = {
      width: Math.max(320, el.clientWidth || 640), height: 260,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'Website', stroke: '#2563eb', fill: 'rgba(37,99,235,0.55)', paths: bars({ size: [0.4, 40], align: -1 }), points: { show: false } },
        { label: 'TikTok Shop', stroke: '#db2777', fill: 'rgba(219,39,119,0.55)', paths: bars({ size: [0.4, 40], align: 1 }), points: { show: false } },
        { label: 'Ad spend', stroke: '#111827', width: 2 },
      ],
      axes: [{}, { values: (u, v) => v.map((n) => money(n, cur)), size: 80 }],
    };
    const data = [xs, days.map((x) => x.web_revenue), days.map((x) => x.tiktok_shop_gmv), days.map((x) => x.ad_spend)];
    report.chart = new window.uPlot(opts, data, el);
  }

  async function connectAdsAccount() {
    // A full navigation: the TikTok authorize page, then back here.
    try {
      const res = await fetch(REPORT.start, { credentials: 'same-origin', redirect: 'manual', headers: { Accept: 'application/json' } });
      if (res.type === 'opaqueredirect' || res.status === 0) { window.location.assign(REPORT.start); return; }
      const data = await res.json().catch(() => null);
      toast((data && data.error && data.error.message) || 'Could not start the TikTok Ads connection.', 'err');
    } catch (_) { toast('Can’t reach the shopsync server. Check your connection and try again.', 'err'); }
  }

  async function reportAction(btn, method, path, body, okText) {
    setBusy(btn, true);
    try {
      const r = await api(method, path, body);
      if (okText) toast(typeof okText === 'function' ? okText(r) : okText, 'ok');
      state.sigs.delete('ads-account');
      await loadAdsAccount();
      await loadReport();
    } catch (e) { apiErrorToast(e); } finally { setBusy(btn, false); }
  }

  function wireReport() {
    $('#ads-account-connect').addEventListener('click', connectAdsAccount);
    $('#ads-account-disconnect').addEventListener('click', (ev) =>
      reportAction(ev.currentTarget, 'POST', REPORT.disconnect, undefined, 'TikTok Ads account disconnected.'));
    $('#ads-spend-sync').addEventListener('click', (ev) =>
      reportAction(ev.currentTarget, 'POST', REPORT.sync + '?wait=1', undefined,
        (j) => (j.state === 'done' ? 'Ad spend synced.' : 'Spend sync: ' + (j.error || j.state))));
    $('#ads-advertisers-save').addEventListener('click', (ev) => {
      const ids = $$('#ads-advertiser-list input:checked').map((i) => i.value);
      reportAction(ev.currentTarget, 'PUT', REPORT.account, { advertiser_ids: ids }, 'Advertisers saved.');
    });
    for (const b of $$('.report-days')) {
      b.addEventListener('click', () => {
        report.days = Number(b.dataset.days);
        for (const o of $$('.report-days')) { o.classList.toggle('is-active', o === b); o.setAttribute('aria-pressed', String(o === b)); }
        loadReport();
      });
    }
    $('#report-currency').addEventListener('change', (ev) => {
      report.currency = ev.currentTarget.value;
      loadReport();
    });
  }

  // ------------------------------------------ custom audiences (customer files)
  const AUDIENCES = '/api/admin/audiences';
  const audiences = { list: [], advertisers: [] };
  const RULE_PARAM = {
    bought_within_days: { key: 'days', label: 'Days', number: true },
    bought_sku: { key: 'sku', label: 'SKU' },
    min_orders: { key: 'orders', label: 'Orders', number: true },
    min_value: { key: 'value', label: 'Amount (e.g. 100.00)' },
  };

  function audienceRuleText(r) {
    switch (r && r.kind) {
      case 'bought_within_days': return `Bought within ${r.days} days`;
      case 'bought_sku': return `Bought ${r.sku}`;
      case 'min_orders': return `At least ${plural(r.orders, 'order')}`;
      case 'min_value': return `Spent at least ${money(r.value, r.currency)}`;
      default: return 'All buyers';
    }
  }

  const loadAudiences = single(async () => {
    let d;
    try { d = await getSection(AUDIENCES); } catch (e) { sectionFailed($('#audiences-error'), e); return; }
    $('#audiences-error').hidden = true;
    if (!d) return;
    if (changed('audiences', d)) renderAudiences(d);
  });

  function renderAudiences(d) {
    audiences.list = d.audiences || [];
    setText($('#audiences-count'), `${plural(int(d.buyers), 'buyer')}`);
    show($('#audiences-empty'), audiences.list.length === 0);
    const body = $('#audiences-table tbody');
    clear(body);
    for (const a of audiences.list) {
      const at = a.tiktok_audience_id
        ? h('span', null, h('code', { text: a.tiktok_audience_id }), ` · ${numFmt.format(int(a.synced_members))} synced`)
        : h('span', { class: 'muted', text: a.status });
      const last = h('span', null, a.last_sync ? timeEl(a.last_sync) : 'never');
      if (a.error) last.append(h('span', { class: 'section-error', role: 'alert', text: ' ' + a.error }));
      body.append(h('tr', { 'data-id': a.id },
        h('td', null, h('strong', { text: a.name }), h('div', { class: 'small muted', text: `${a.advertiser_id} · ${a.id_type}` })),
        h('td', { text: audienceRuleText(a.rule) }),
        h('td', { class: 'num', text: numFmt.format(int(a.members)) }),
        h('td', null, at),
        h('td', null, last),
        h('td', null, h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-small aud-sync', 'data-id': a.id, text: 'Sync now' }),
          h('button', { type: 'button', class: 'btn btn-small aud-edit', 'data-id': a.id, text: 'Edit' }),
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost aud-delete', 'data-id': a.id, text: 'Delete' })))));
    }
  }

  function audienceKindChanged() {
    const p = RULE_PARAM[$('#audience-kind').value];
    show($('#audience-param-field'), !!p);
    show($('#audience-currency-field'), $('#audience-kind').value === 'min_value');
    if (p) setText($('#audience-param-label'), p.label);
  }

  function audienceForm(a) {
    $('#audience-id').value = a ? a.id : '';
    $('#audience-name').value = a ? a.name : '';
    $('#audience-advertiser').value = a ? a.advertiser_id : '';
    $('#audience-type').value = a ? a.id_type : 'EMAIL_SHA256';
    $('#audience-kind').value = a ? a.rule.kind : 'all_buyers';
    const p = a && RULE_PARAM[a.rule.kind];
    $('#audience-param').value = p ? String(a.rule[p.key]) : '';
    $('#audience-currency').value = a && a.rule.currency ? a.rule.currency : '';
    setText($('#audience-form-title'), a ? `Edit ${a.name}` : 'New audience');
    setText($('#audience-save'), a ? 'Save audience' : 'Create audience');
    show($('#audience-cancel'), !!a);
    $('#audience-form-error').hidden = true;
    audienceKindChanged();
  }

  async function saveAudience(ev) {
    ev.preventDefault();
    const id = $('#audience-id').value;
    const kind = $('#audience-kind').value;
    const rule = { kind };
    const p = RULE_PARAM[kind];
    if (p) {
      const v = $('#audience-param').value.trim();
      rule[p.key] = p.number && /^[0-9]+$/.test(v) ? Number(v) : v;
    }
    if (kind === 'min_value') rule.currency = $('#audience-currency').value.trim().toUpperCase();
    const body = { name: $('#audience-name').value.trim(), advertiser_id: $('#audience-advertiser').value.trim(),
      id_type: $('#audience-type').value, rule };
    const btn = $('#audience-save');
    setBusy(btn, true);
    try {
      await api(id ? 'PUT' : 'POST', id ? AUDIENCES + '/' + id : AUDIENCES, body);
      toast(id ? 'Audience saved.' : 'Audience created.', 'ok');
      audienceForm(null);
      state.sigs.delete('audiences');
      await loadAudiences();
    } catch (e) {
      const err = $('#audience-form-error');
      err.hidden = false;
      setText(err, e.message);
    } finally { setBusy(btn, false); }
  }

  async function audienceAction(btn) {
    const id = btn.dataset.id;
    const a = audiences.list.find((x) => x.id === id);
    if (!a) return;
    if (btn.classList.contains('aud-edit')) { audienceForm(a); $('#audience-name').focus(); return; }
    if (btn.classList.contains('aud-delete') &&
        !window.confirm(`Delete ${a.name}? shopsync stops syncing it; TikTok keeps its copy until you delete it in Ads Manager.`)) return;
    setBusy(btn, true);
    try {
      if (btn.classList.contains('aud-delete')) {
        await api('DELETE', AUDIENCES + '/' + id);
        toast('Audience deleted.', 'ok');
      } else {
        const r = await api('POST', AUDIENCES + '/' + id + '/sync');
        if (r.error) toast(`${r.name}: ${r.error}`, 'err');
        else toast(r.tiktok_audience_id ? `${r.name}: ${numFmt.format(int(r.synced_members))} at TikTok.` : `${r.name}: ${r.status}.`, 'ok');
      }
    } catch (e) {
      // A failed sync answers the audience with its error: shown in the list.
      apiErrorToast(e);
    } finally {
      setBusy(btn, false);
      state.sigs.delete('audiences');
      await loadAudiences();
    }
  }

  function wireAudiences() {
    $('#audience-form').addEventListener('submit', saveAudience);
    $('#audience-kind').addEventListener('change', audienceKindChanged);
    $('#audience-cancel').addEventListener('click', () => audienceForm(null));
    $('#audiences-table').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button[data-id]');
      if (btn) audienceAction(btn);
    });
    audienceKindChanged();
  }

  function wire() {
    $('#login-form').addEventListener('submit', onLogin);
    $('#login-token').addEventListener('input', () => {
      $('#login-token').removeAttribute('aria-invalid');
      $('#login-error').hidden = true;
    });
    $('#logout').addEventListener('click', onLogout);
    $('#server-error-retry').addEventListener('click', checkSession);
    $('#oauth-result-dismiss').addEventListener('click', () => {
      state.oauth = null;
      $('#oauth-result').hidden = true;
      $('#page-title').focus();
    });

    $('#disconnect').addEventListener('click', openDisconnectDialog);
    $('#confirm-disconnect-yes').addEventListener('click', doDisconnect);
    $('#confirm-disconnect').addEventListener('close', () => {
      const o = state.dialogOpener;
      state.dialogOpener = null;
      if (o && o.isConnected && !o.hidden && typeof o.focus === 'function') o.focus();
      else if (state.view === 'app') $('#connect').focus();
    });

    $('#sync-all').addEventListener('click', startSync);

    const search = $('#product-search');
    search.addEventListener('input', () => {
      state.search = search.value;
      renderProducts();
    });
    search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && search.value) { ev.preventDefault(); search.value = ''; state.search = ''; renderProducts(); }
    });

    $('#products-body').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button.edit-stock');
      if (!btn) return;
      const tr = btn.closest('tr[data-sku]');
      if (tr) openEdit(tr.dataset.sku);
    });

    $('#rules-table').addEventListener('click', (ev) => {
      const edit = ev.target.closest('button.edit-rule[data-rule-sku]');
      if (edit) { openRuleEdit(edit.dataset.ruleSku); return; }
      const reset = ev.target.closest('button.reset-rule[data-rule-sku]');
      if (reset) resetRule(reset.dataset.ruleSku, reset);
    });

    $('#dlq-list').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button.replay[data-id]');
      if (btn) replay({ id: btn.dataset.id }, btn);
    });
    $('#dlq-replay-all').addEventListener('click', (ev) => replay({ all: true }, ev.currentTarget));
    $('#reconcile-run').addEventListener('click', runReconcile);
    wireAds();
    wireReport();
    wireAudiences();

    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && state.authed && !state.editing) {
        window.clearTimeout(state.timer);
        tick();
      }
    });
    window.addEventListener('online', () => { if (state.authed) { window.clearTimeout(state.timer); tick(); } });
  }

  function start() {
    captureOAuthResult();
    wire();
    checkSession();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
