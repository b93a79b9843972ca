/* shopsync admin — revenue and ad spend in the "TikTok Ads" section: the
 * TikTok Ads account (OAuth, advertisers, spend sync) and the daily report
 * with its chart and campaigns. */
import { $, $$, changed, clear, formatPrice, h, numFmt, setBusy, setText, show, single, state, timeEl, toast } from './core.js';
import { api, apiErrorToast, getSection, sectionFailed } from './api.js';

const REPORT = {
  account: '/api/admin/ads/account',
  start: '/api/admin/ads/oauth/start',
  disconnect: '/api/admin/ads/oauth/disconnect',
  sync: '/api/admin/ads/spend/sync',
  daily: (from, to, fmt) => '/api/admin/reports/daily?from=' + from + '&to=' + to + (fmt ? '&format=' + fmt : ''),
  campaigns: (from, to) => '/api/admin/reports/campaigns?from=' + from + '&to=' + to,
};
const report = { days: 30, currency: '', chart: null, lastSync: null, loaded: false };

function isoDay(d) { return d.toISOString().slice(0, 10); }

function reportRange() {
  const to = new Date();
  const from = new Date(to.getTime() - (report.days - 1) * 86400000);
  return [isoDay(from), isoDay(to)];
}

export const loadAdsAccount = single(async () => {
  let a;
  try { a = await getSection(REPORT.account); } catch (e) { sectionFailed($('#report-error'), e); return; }
  if (!a) return;
  if (changed('ads-account', a)) renderAdsAccount(a);
  // The report once signed in, then again after each spend sync.
  const last = (a.last_spend_sync && a.last_spend_sync.finished_at) || null;
  if (!report.loaded || last !== report.lastSync) { report.loaded = true; report.lastSync = last; await loadReport(); }
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
  // The audience form offers the account's advertisers.
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
  renderReport(d, c);
});

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
      item('Website revenue', `${formatPrice(t.web_revenue, cur)} (${numFmt.format(t.web_orders)} orders)`, 'report-total-web'),
      item('TikTok Shop GMV', `${formatPrice(t.tiktok_shop_gmv, cur)} (${numFmt.format(t.tiktok_shop_orders)} orders, ${numFmt.format(t.tiktok_shop_cancelled)} cancelled)`, 'report-total-tts'),
      item('Ad spend', formatPrice(t.ad_spend, cur), 'report-total-spend'),
      item('ROAS', t.roas === null ? '—' : Number(t.roas).toFixed(2), 'report-total-roas'));
  }
  const days = (d.days || []).filter((x) => x.currency === cur);
  show($('#report-empty'), !t);
  drawChart(days, cur);
  const body = $('#report-campaigns tbody');
  clear(body);
  for (const k of (c && c.campaigns) || []) {
    body.append(h('tr', null, h('td', { text: k.campaign_name || k.campaign_id }), h('td', { text: k.advertiser_id }),
      h('td', { class: 'num', text: formatPrice(k.spend, k.currency) }), h('td', { class: 'num', text: numFmt.format(k.clicks) }),
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
    axes: [{}, { values: (u, v) => v.map((n) => formatPrice(n, cur)), size: 80 }],
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
    // The account's load then fetches the report, once.
    report.loaded = false;
    await loadAdsAccount();
  } catch (e) { apiErrorToast(e); } finally { setBusy(btn, false); }
}

export function wireReport() {
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
