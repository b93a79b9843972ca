/* shopsync admin — the "Activity & health" area: the stock activity feed,
 * oversells, unmatched items, dead letters with replay, reconciliation. */
import { $, changed, clear, h, int, isNum, numFmt, plural, setBusy, setText, show, sig, signed, single, state, timeEl, toast } from './core.js';
import { API, api, apiErrorToast, getSection, sectionFailed } from './api.js';
import { loadProducts } from './products.js';

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

export const loadActivity = single(async () => {
  const errEl = $('#activity-error');
  let d;
  try { d = await getSection(API.activity); } catch (e) { sectionFailed(errEl, e); return; }
  errEl.hidden = true;
  const items = d && Array.isArray(d.activity) ? d.activity : [];
  state.activityItems = items;
  renderActivity(items);
});

export function renderActivity(items) {
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

export const loadOversells = single(async () => {
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

export const loadUnmatched = single(async () => {
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

export const loadDlq = single(async () => {
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

export async function replay(body, btn) {
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

export const loadReconcile = single(async () => {
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

export function wireActivity() {
  $('#dlq-list').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button.replay[data-id]');
    if (btn) replay({ id: btn.dataset.id }, btn);
  });
  $('#dlq-replay-all').addEventListener('click', (ev) => replay({ all: true }, ev.currentTarget));
  $('#reconcile-run').addEventListener('click', runReconcile);
}
