/* shopsync admin — the "What TikTok Shop is shown" section: channel rules per
 * SKU and the store default, edited inline one row at a time. */
import { $, changed, clear, h, int, isNum, numFmt, plural, sentence, setBusy, show, sig, single, state, toast } from './core.js';
import { API, api, apiErrorToast, getSection, sectionFailed } from './api.js';
import { loadProducts } from './products.js';

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

export const loadRules = single(async () => {
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

export function renderRules() {
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

export function closeRuleEdit(restoreFocus) {
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

export function wireRules() {
  $('#rules-table').addEventListener('click', (ev) => {
    const edit = ev.target.closest('button.edit-rule[data-rule-sku]');
    if (edit) { openRuleEdit(edit.dataset.ruleSku); return; }
    const reset = ev.target.closest('button.reset-rule[data-rule-sku]');
    if (reset) resetRule(reset.dataset.ruleSku, reset);
  });
}
