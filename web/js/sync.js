/* shopsync admin — the "Sync products" section: starting a product sync,
 * following its job, its progress and per-product results. */
import { $, clear, h, int, numFmt, plural, sentence, setBusy, setOffline, setText, show, state, toast } from './core.js';
import { API, api, apiErrorToast } from './api.js';
import { loadConnection, updateSyncButton } from './connection.js';
import { loadProducts } from './products.js';
import { loadActivity } from './activity.js';

const SYNC_POLL_MS = 500;         // sync job polling

export function stopSyncPolling() {
  window.clearTimeout(state.sync.timer);
  state.sync.polling = false;
}

export function handleLastSync(j) {
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

export function wireSync() {
  $('#sync-all').addEventListener('click', startSync);
}
