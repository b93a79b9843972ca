/* shopsync admin — the "Connection" section: TikTok Shop's connection state,
 * token expiry, the OAuth result banner and the disconnect dialog. */
import { $, absTime, changed, clear, h, int, plural, setBusy, setText, show, single, state, timeEl, toMs, toast } from './core.js';
import { API, api, apiErrorToast, getSection, sectionFailed } from './api.js';
import { handleLastSync } from './sync.js';

const OAUTH_ERRORS = {
  auth_denied: 'You denied access on TikTok Shop.',
  invalid_state: 'This sign-in link expired or was already used. Please click Connect again.',
  token_exchange_failed: 'TikTok Shop did not accept the authorization. Please click Connect to try again; if it keeps failing, check the app key and secret.',
};

export function captureOAuthResult() {
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

export const loadConnection = single(async () => {
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
export function updateSyncButton() {
  const btn = $('#sync-all');
  const d = state.conn;
  const ready = !!(d && d.connected && !d.needs_reauth);
  btn.disabled = !ready || state.sync.polling;
  if (ready) btn.removeAttribute('aria-describedby');
  else btn.setAttribute('aria-describedby', 'sync-hint');
}

export function renderOAuthBanner() {
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

export function closeDialog() {
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

export function wireConnection() {
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
}
