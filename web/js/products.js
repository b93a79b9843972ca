/* shopsync admin — the "Products & stock" table: one row per SKU, kept in
 * place between refreshes, with search. */
import { $, changed, clear, formatPrice, h, int, isNum, numFmt, plural, setText, show, sig, single, state, timeEl, toMs, updateRelativeTimes } from './core.js';
import { API, getSection, sectionFailed } from './api.js';
import { renderRules } from './rules.js';
import { renderActivity } from './activity.js';

const LOW_STOCK = 3;

export const loadProducts = single(async () => {
  if (state.editing) return;
  const errEl = $('#products-error');
  let d;
  const asked = performance.now();
  try {
    d = await getSection(API.products);
  } catch (e) { sectionFailed(errEl, e); return; }
  if (state.editing) return; // an edit opened while we were loading
  errEl.hidden = true;
  const products = d && Array.isArray(d.products) ? d.products : [];
  // An answer to a request sent before an edit was saved cannot show its
  // push yet: keep such a SKU "Pushing…" until a later answer speaks.
  for (const p of products) {
    for (const s of Array.isArray(p.skus) ? p.skus : []) {
      const savedAt = state.pushWait.get(String(s.sku));
      if (savedAt === undefined) continue;
      if (asked < savedAt && s.tiktok && typeof s.tiktok === 'object') s.tiktok.push_pending = true;
      else state.pushWait.delete(String(s.sku));
    }
  }
  state.products = products;
  if (changed('products', products)) {
    renderProducts();
    if (state.activityItems) renderActivity(state.activityItems);
    renderRules();
  }
});

function flatRows() {
  const rows = [];
  state.productsBySku.clear();
  for (const p of state.products || []) {
    const skus = Array.isArray(p.skus) ? p.skus : [];
    for (const s of skus) {
      if (!s || s.sku === undefined || s.sku === null) continue;
      const key = String(s.sku);
      rows.push({ p, s, key });
      state.productsBySku.set(key, { p, s });
    }
  }
  return rows;
}

export function renderProducts() {
  const rows = flatRows();
  const tbody = $('#products-body');
  const hasProducts = (state.products || []).length > 0;
  show($('#products-empty'), !hasProducts);
  show($('#product-search').closest('.search'), hasProducts);

  const q = state.search.trim().toLowerCase();
  const visible = q
    ? rows.filter((r) => r.key === state.editing ||
      String(r.p.title || '').toLowerCase().includes(q) ||
      r.key.toLowerCase().includes(q) ||
      String(r.p.id || '').toLowerCase().includes(q))
    : rows;

  const nomatch = $('#products-nomatch');
  setText(nomatch, q && hasProducts && !visible.length ? `No products match “${state.search.trim()}”.` : '');
  show(nomatch, !!(q && hasProducts && !visible.length));
  show($('#products-table-wrap'), visible.length > 0);
  setText($('#products-count'), hasProducts
    ? (q ? `· ${visible.length} of ${plural(rows.length, 'SKU')}` : `· ${plural(rows.length, 'SKU')}`)
    : '');

  const keep = new Set();
  visible.forEach((r, i) => {
    keep.add(r.key);
    let entry = state.rows.get(r.key);
    const s = sig([r.p.title, r.p.id, r.s]);
    if (!entry) {
      entry = { tr: buildRow(r), sig: s };
      state.rows.set(r.key, entry);
    } else if (entry.sig !== s) {
      fillRow(entry.tr, r);
      entry.sig = s;
    }
    const at = tbody.children[i];
    if (at !== entry.tr) tbody.insertBefore(entry.tr, at || null);
  });
  for (const tr of Array.from(tbody.children)) {
    if (!keep.has(tr.dataset.sku)) tr.remove();
  }
  for (const key of Array.from(state.rows.keys())) {
    if (!state.productsBySku.has(key)) state.rows.delete(key);
  }
  updateRelativeTimes();
}

function buildRow(r) {
  const editBtn = h('button', {
    type: 'button', class: 'btn btn-small edit-stock',
    'aria-label': `Edit stock for ${r.p.title || r.key} (${r.key})`,
    text: 'Edit stock',
  });
  const tr = h('tr', { 'data-sku': r.key },
    h('td', { class: 'product', 'data-label': 'Product' }),
    h('td', { class: 'sku', 'data-label': 'SKU' }),
    h('td', { class: 'attrs-cell', 'data-label': 'Options' }),
    h('td', { class: 'price num', 'data-label': 'Price' }),
    h('td', { class: 'stock num', 'data-label': 'Store stock' }),
    h('td', { class: 'pushed', 'data-label': 'On TikTok' }),
    h('td', { class: 'tiktok-status', 'data-label': 'TikTok status' }),
    h('td', { class: 'actions' }, editBtn));
  fillRow(tr, r);
  return tr;
}

function fillRow(tr, r) {
  const { p, s } = r;
  const cells = tr.children;
  const [cProduct, cSku, cAttrs, cPrice, cStock, cPushed, cStatus] = cells;

  clear(cProduct);
  cProduct.append(h('span', { class: 'title', text: p.title || p.id || 'Untitled product' }));

  clear(cSku);
  cSku.append(h('code', { text: r.key }));

  clear(cAttrs);
  const attrs = s.attributes && typeof s.attributes === 'object' ? Object.entries(s.attributes) : [];
  cAttrs.classList.toggle('is-empty', !attrs.length);
  if (attrs.length) {
    cAttrs.append(h('span', { class: 'attrs' }, attrs.map(([k, v]) =>
      h('span', { class: 'attr' }, h('span', { class: 'attr-key', text: k + ': ' }), String(v)))));
  } else {
    cAttrs.append(h('span', { class: 'dash', text: '—' }));
  }

  setText(cPrice, formatPrice(s.price, s.currency));

  const stock = int(s.stock);
  setText(cStock, numFmt.format(stock));
  cStock.classList.toggle('is-zero', stock <= 0);
  cStock.classList.toggle('is-low', stock > 0 && stock <= LOW_STOCK);
  // Low-stock mode: the channels no longer share the last units.
  if (s.mode === 'allocated') {
    const held = int(s.reserved);
    cStock.append(h('span', {
      class: 'sub alloc', 'data-mode': 'allocated',
      title: 'Selling fast on both channels: TikTok Shop holds a share only it can sell, the website sells the rest',
      text: `Low stock: website ${numFmt.format(int(s.available_web))}, TikTok ${numFmt.format(int(s.tiktok_share))}` +
        (held > 0 ? `, ${numFmt.format(held)} held while TikTok orders arrive` : ''),
    }));
  }

  const tk = s.tiktok && typeof s.tiktok === 'object' ? s.tiktok : {};
  const away = tk.status === 'not_connected';
  const pushing = tk.status === 'synced' && !!tk.push_pending;
  clear(cPushed);
  if (isNum(tk.last_pushed_quantity)) {
    const differs = pushing && tk.last_pushed_quantity !== stock;
    cPushed.append(h('span', {
      class: away ? 'qty stale' : differs ? 'qty differs' : 'qty',
      title: away ? 'Last sent before disconnecting: TikTok Shop keeps selling at this quantity until you connect again'
        : differs ? 'Differs from store stock — an update is on its way' : null,
      text: numFmt.format(tk.last_pushed_quantity),
    }));
    cPushed.append(h('span', { class: 'sub' }, away ? 'last sent ' : null,
      toMs(tk.last_pushed_at) ? timeEl(tk.last_pushed_at) : 'time unknown'));
  } else {
    cPushed.append(h('span', { class: 'dash', text: '—' }), h('span', { class: 'sub', text: 'Not pushed yet' }));
  }

  clear(cStatus);
  const st = pushing ? 'pushing' : (tk.status || 'not_synced');
  const map = {
    synced: ['Synced', 'badge-ok'],
    pushing: ['Pushing…', 'badge-info'],
    error: ['Error', 'badge-err'],
    not_synced: ['Not synced', 'badge-neutral'],
    not_connected: ['Not connected', 'badge-neutral'],
  };
  const [label, cls] = map[st] || [String(st), 'badge-neutral'];
  const badge = h('span', {
    class: 'badge ' + cls, text: label, 'data-status': st,
    title: tk.error ? String(tk.error) : away ? 'TikTok Shop is not connected: nothing is sent to it' : null,
  });
  cStatus.append(badge);
  if (tk.error) cStatus.append(h('span', { class: 'status-error', text: String(tk.error) }));
  if (tk.error) cStatus.setAttribute('title', String(tk.error)); else cStatus.removeAttribute('title');
}

export function wireProducts() {
  const search = $('#product-search');
  search.addEventListener('input', () => {
    state.search = search.value;
    renderProducts();
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && search.value) { ev.preventDefault(); search.value = ''; state.search = ''; renderProducts(); }
  });
}
