// The catalog part of the JSON API and the operations endpoints, checked against a running store exactly as
// the contract describes them. MYCLOTHES_URL points at the store (script/test sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';

const base = process.env.MYCLOTHES_URL;

async function get(path, init = {}) {
  assert.ok(base, 'MYCLOTHES_URL is not set: run this through script/test');
  const res = await fetch(new URL(path, base), { redirect: 'manual', ...init });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { res, text, json };
}

function assertError(r, status, code) {
  assert.equal(r.res.status, status, r.text);
  assert.match(r.res.headers.get('content-type'), /application\/json/);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  if (code) assert.equal(r.json.error.code, code);
  else assert.match(r.json.error.code, /^[a-z_]+$/);
}

test('every response carries the instance headers', async () => {
  for (const path of ['/healthz', '/api/v1/categories', '/', '/api/v1/nope']) {
    const { res } = await get(path);
    assert.ok(res.headers.get('x-instance-id'), `${path}: X-Instance-Id`);
    assert.ok(res.headers.get('x-az'), `${path}: X-AZ`);
    assert.ok(res.headers.get('x-request-id'), `${path}: X-Request-Id`);
  }
});

test('health, readiness and metrics', async () => {
  assert.equal((await get('/healthz')).res.status, 200);
  const ready = await get('/readyz');
  assert.equal(ready.res.status, 200, ready.text);
  assert.equal(ready.json.checks.postgres, 'up');
  assert.equal(ready.json.checks.redis, 'up');
  const metrics = await get('/metrics');
  assert.equal(metrics.res.status, 200);
  assert.match(metrics.text, /myclothes_http_requests_total\{/);
  assert.match(metrics.text, /myclothes_http_request_duration_seconds_bucket/);
  assert.match(metrics.text, /myclothes_cache_requests_total\{/);
  assert.match(metrics.text, /myclothes_db_queries_total\{role="(primary|replica)"\}/);
});

test('categories list slugs, both names and counts', async () => {
  const r = await get('/api/v1/categories');
  assert.equal(r.res.status, 200);
  assert.match(r.res.headers.get('x-cache'), /^(hit|miss)$/);
  assert.match(r.res.headers.get('x-db'), /^(primary|replica|none)$/);
  const slugs = r.json.items.map((c) => c.slug);
  assert.ok(slugs.includes('outerwear'), slugs.join(','));
  for (const c of r.json.items) {
    assert.deepEqual(Object.keys(c).sort(), ['count', 'name', 'slug']);
    assert.ok(c.name.ko && c.name.en);
    assert.ok(Number.isInteger(c.count) && c.count > 0);
  }
  const total = r.json.items.reduce((n, c) => n + c.count, 0);
  const all = await get('/api/v1/products?per_page=1');
  assert.equal(all.json.total, total);
});

test('a product by id has the documented shape, then comes from the cache', async () => {
  const list = await get('/api/v1/products?category=outerwear&per_page=1');
  const id = list.json.items[0].id;
  const first = await get(`/api/v1/products/${id}`);
  assert.equal(first.res.status, 200);
  const p = first.json;
  for (const key of ['id', 'slug', 'name', 'description', 'category', 'price', 'currency', 'images', 'variants']) {
    assert.ok(key in p, key);
  }
  assert.equal(p.id, id);
  assert.equal(p.currency, 'KRW');
  assert.equal(p.category, 'outerwear');
  assert.ok(p.name.ko && p.name.en && p.description.ko && p.description.en);
  assert.ok(p.images.length >= 1 && p.images.every((u) => u.startsWith('/img/')));
  for (const v of p.variants) {
    assert.deepEqual(Object.keys(v).sort(), ['color', 'size', 'sku', 'stock']);
    assert.ok(v.stock >= 0);
  }
  const second = await get(`/api/v1/products/${id}`);
  assert.equal(second.res.headers.get('x-cache'), 'hit');
  assert.equal(second.res.headers.get('x-db'), 'none');
  assert.deepEqual(second.json, p);
  const image = await fetch(new URL(p.images[0], base));
  assert.equal(image.status, 200);
  assert.match(image.headers.get('content-type'), /image\/svg\+xml/);
  assert.match(await image.text(), /^<svg/);
});

test('unknown products and routes are JSON errors', async () => {
  assertError(await get('/api/v1/products/999999999'), 404, 'product_not_found');
  assertError(await get('/api/v1/products/abc'), 404, 'product_not_found');
  assertError(await get('/api/v1/no-such-route'), 404);
  assertError(await get('/api/v1/products', { method: 'DELETE' }), 405);
});

test('bad listing parameters are 400 with a message naming them', async () => {
  for (const q of ['per_page=101', 'page=0', 'min_price=-5', 'sort=random', 'max_price=abc', 'size=%27%20OR%201%3D1']) {
    const r = await get(`/api/v1/products?${q}`);
    assertError(r, 400, 'invalid_query');
    assert.ok(r.json.error.message.includes(q.split('=')[0]), r.json.error.message);
  }
});

test('search works in Korean and English, partial words and mixed case', async () => {
  const ko = await get(`/api/v1/products?q=${encodeURIComponent('항공 점퍼')}`);
  assert.equal(ko.res.status, 200);
  assert.ok(ko.json.total > 0, 'no results for 항공 점퍼');
  assert.ok(ko.json.items[0].name.ko.includes('항공'), ko.json.items[0].name.ko);
  const en = await get('/api/v1/products?q=Flight%20JACK');
  assert.ok(en.json.total > 0, 'no results for Flight JACK');
  assert.match(en.json.items[0].name.en, /flight jacket/i);
  const joined = await get(`/api/v1/products?q=${encodeURIComponent('항공점퍼')}`);
  assert.ok(joined.json.total > 0, 'no results for 항공점퍼 written without a space');
  const none = await get('/api/v1/products?q=zzqxv');
  assert.equal(none.res.status, 200);
  assert.equal(none.json.total, 0);
  assert.deepEqual(none.json.items, []);
});

test('filters, sort and pagination', async () => {
  const q = 'category=outerwear&size=M&color=black&min_price=50000&max_price=300000&sort=price_asc&per_page=20';
  const r = await get(`/api/v1/products?${q}`);
  assert.equal(r.res.status, 200);
  assert.ok(r.json.items.length > 0);
  assert.equal(r.json.per_page, 20);
  const prices = r.json.items.map((p) => p.price);
  assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
  for (const p of r.json.items) {
    assert.equal(p.category, 'outerwear');
    assert.ok(p.price >= 50000 && p.price <= 300000, String(p.price));
    assert.ok(p.colors.includes('black'));
    const doc = (await get(`/api/v1/products/${p.id}`)).json;
    assert.ok(doc.variants.some((v) => v.size === 'M' && v.color === 'black' && v.stock > 0), `${p.id} has no M/black in stock`);
  }
  const page1 = await get('/api/v1/products?category=tops&per_page=5&page=1');
  const page2 = await get('/api/v1/products?category=tops&per_page=5&page=2');
  assert.equal(page1.json.page, 1);
  assert.equal(page2.json.page, 2);
  const ids1 = new Set(page1.json.items.map((p) => p.id));
  assert.ok(page2.json.items.every((p) => !ids1.has(p.id)));
  const desc = await get('/api/v1/products?category=shoes&sort=price_desc&per_page=30');
  const dp = desc.json.items.map((p) => p.price);
  assert.deepEqual(dp, [...dp].sort((a, b) => b - a));
});

test('pages carry the security headers and the stylesheet revalidates with its ETag', async () => {
  const home = await get('/');
  assert.equal(home.res.status, 200);
  assert.match(home.res.headers.get('content-security-policy'), /default-src 'self'/);
  assert.equal(home.res.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(home.res.headers.get('referrer-policy'));
  const css = home.text.match(/href="(\/static\/app\.css[^"]*)"/);
  assert.ok(css, 'the page links its stylesheet');
  const first = await fetch(new URL(css[1].replaceAll('&amp;', '&'), base));
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  assert.match(first.headers.get('cache-control'), /max-age=31536000/);
  const again = await fetch(new URL(css[1].replaceAll('&amp;', '&'), base), { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
});

test('language: ?lang sets a cookie, Accept-Language chooses by default', async () => {
  const en = await get('/c/outerwear?lang=en');
  assert.match(en.res.headers.get('set-cookie') ?? '', /lang=en/);
  assert.match(en.text, /<html[^>]*lang="en"/);
  const ko = await get('/c/outerwear', { headers: { 'Accept-Language': 'ko-KR,ko;q=0.9,en;q=0.8' } });
  assert.match(ko.text, /<html[^>]*lang="ko"/);
  const cookie = await get('/c/outerwear', { headers: { 'Accept-Language': 'ko-KR', Cookie: 'lang=en' } });
  assert.match(cookie.text, /<html[^>]*lang="en"/);
});

test('an unknown page is a 404 page, not an error', async () => {
  const r = await get('/p/no-such-product-anywhere');
  assert.equal(r.res.status, 404);
  assert.match(r.res.headers.get('content-type'), /text\/html/);
  const c = await get('/c/no-such-category');
  assert.equal(c.res.status, 404);
});
