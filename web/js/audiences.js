/* shopsync admin — custom audiences in the "TikTok Ads" section: the store's
 * buyers as TikTok customer-file audiences (member counts, "N of 1,000
 * buyers" while waiting, last sync and its error), create, edit, delete and
 * sync now. */
import { $, changed, clear, formatPrice, h, int, numFmt, plural, setBusy, setText, show, single, state, timeEl, toast } from './core.js';
import { api, apiErrorToast, getSection, sectionFailed } from './api.js';

const AUDIENCES = '/api/admin/audiences';
const audiences = { list: [] };
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
    case 'min_value': return `Spent at least ${formatPrice(r.value, r.currency)}`;
    default: return 'All buyers';
  }
}

export const loadAudiences = single(async () => {
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

export function wireAudiences() {
  $('#audience-form').addEventListener('submit', saveAudience);
  $('#audience-kind').addEventListener('change', audienceKindChanged);
  $('#audience-cancel').addEventListener('click', () => audienceForm(null));
  $('#audiences-table').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-id]');
    if (btn) audienceAction(btn);
  });
  audienceKindChanged();
}
