/* shopsync admin — signing in and out: the session check at boot, the
 * sign-in form, entering the app, and stopping everything on a 401. */
import { $, $$, sentence, setBusy, setText, show, showView, state, toast, updateLiveIndicator } from './core.js';
import { API, api, apiErrorToast } from './api.js';
import { closeDialog, renderOAuthBanner } from './connection.js';
import { stopSyncPolling } from './sync.js';
import { closeEdit } from './stock_edit.js';
import { closeRuleEdit } from './rules.js';
import { refreshAll, scheduleRefresh } from '../app.js';

export async function checkSession() {
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
export function signedOut(message) {
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

export function wireSession() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#login-token').addEventListener('input', () => {
    $('#login-token').removeAttribute('aria-invalid');
    $('#login-error').hidden = true;
  });
  $('#logout').addEventListener('click', onLogout);
  $('#server-error-retry').addEventListener('click', checkSession);
}
