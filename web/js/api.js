/* shopsync admin — the API client: the admin API's paths, JSON requests with
 * the CSRF token, errors as ApiError, and a page section's GET (a 404 means
 * "not offered by this server", re-asked after a minute). */
import { setOffline, state, toast } from './core.js';
import { signedOut } from './session.js';

const UNSUPPORTED_RETRY_MS = 60000; // re-probe endpoints that answered 404

export const API = {
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

class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.fields = fields || []; // the bad fields' paths of a 400 invalid_field
  }
}

export async function api(method, path, body, opts = {}) {
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
export async function getSection(path) {
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
export function sectionFailed(errEl, e) {
  if (e.status === 401) return;          // signedOut() already ran
  if (e.status === 0) { setOffline(true); return; }
  if (errEl) { errEl.textContent = 'Couldn’t load this section: ' + e.message; errEl.hidden = false; }
}

export function apiErrorToast(e) {
  if (e.status === 401) return;
  toast(e.message, 'err');
}
