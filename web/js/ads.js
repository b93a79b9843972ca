/* shopsync admin — the "TikTok Ads" section: connection form, test mode,
 * today's counts, last events, ads dead letters with replay, offline CSV
 * upload. */
import { $, changed, clear, h, int, isNum, numFmt, plural, setBusy, setText, show, single, state, timeEl, toast } from './core.js';
import { api, apiErrorToast, getSection, sectionFailed } from './api.js';
import { replay } from './activity.js';

const ADS = {
  connection: '/api/admin/ads/connection',
  events: '/api/admin/ads/events',
  offline: '/api/admin/ads/offline-events',
};

export const loadAds = single(async () => {
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

export function wireAds() {
  $('#ads-form').addEventListener('submit', saveAds);
  $('#ads-disconnect').addEventListener('click', forgetAds);
  $('#ads-csv-upload').addEventListener('click', uploadAdsCsv);
  $('#ads-dlq').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button.replay[data-id]');
    if (btn) replay({ id: btn.dataset.id }, btn).then(() => { state.sigs.delete('ads'); return loadAds(); });
  });
}
