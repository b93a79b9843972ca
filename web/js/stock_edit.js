/* shopsync admin — editing a SKU's stock inline in the products table (set to
 * or adjust by), saved once per Idempotency-Key; refreshes pause meanwhile. */
import { $, h, int, isNum, numFmt, sentence, setBusy, state, toast, updateLiveIndicator } from './core.js';
import { API, api, apiErrorToast } from './api.js';
import { renderProducts } from './products.js';
import { loadActivity } from './activity.js';
import { scheduleRefresh } from '../app.js';

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

export function closeEdit(restoreFocus) {
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

export function wireStockEdit() {
  $('#products-body').addEventListener('click', (ev) => {
    const btn = ev.target.closest('button.edit-stock');
    if (!btn) return;
    const tr = btn.closest('tr[data-sku]');
    if (tr) openEdit(tr.dataset.sku);
  });
}
