// The whole journey in headless Chromium, in both languages: search, pick colour and size, add to cart,
// register (the guest cart survives), add an address, check out, see the order in the history.
// Screenshots of every step in tests/e2e/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifacts, base, chromiumForTests } from './browser.mjs';

const browser = chromiumForTests();

const words = {
  ko: { query: '항공 점퍼', add: '장바구니 담기', checkout: '주문하기', addAddress: '새 배송지 추가', place: '결제하고 주문하기', thanks: '주문이 완료되었습니다', orders: '주문 내역' },
  en: { query: 'flight jacket', add: 'Add to cart', checkout: 'Checkout', addAddress: 'Add an address', place: 'Place order', thanks: 'Your order is placed', orders: 'Orders' },
};

for (const lang of ['ko', 'en']) {
  test(`[${lang}] search → size and colour → cart → register → address → checkout → order history`, { timeout: 180_000 }, async () => {
    const w = words[lang];
    const context = await browser().newContext({ locale: lang === 'ko' ? 'ko-KR' : 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems = [];
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    let shot = 0;
    const snap = async (name) => page.screenshot({ path: `${artifacts}journey-${lang}-${String(++shot).padStart(2, '0')}-${name}.png` });

    await page.goto(new URL(`/search?q=${encodeURIComponent(w.query)}`, base).href);
    await snap('search');
    // The first result with a size in stock.
    const links = await page.locator('a[href^="/p/"]').evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
    let chosen = null;
    for (const href of links.slice(0, 12)) {
      const slug = href.split('?')[0].slice(3);
      const list = await (await fetch(new URL(`/api/v1/products?q=${encodeURIComponent(slug.replace(/-\d+$/, '').replace(/-/g, ' '))}&per_page=100`, base))).json();
      const item = list.items.find((i) => i.slug === slug);
      if (!item) continue;
      const p = await (await fetch(new URL(`/api/v1/products/${item.id}`, base))).json();
      const v = p.variants.find((x) => x.stock >= 2);
      if (v) { chosen = { product: p, variant: v }; break; }
    }
    assert.ok(chosen, 'no search result with a size in stock');
    const { product, variant } = chosen;
    await page.goto(new URL(`/p/${product.slug}`, base).href);
    await page.locator(`a.color-choice[data-color="${variant.color}"]`).click();
    await page.waitForURL(new RegExp(`color=${variant.color}`));
    await page.locator(`input[name="sku"][value="${variant.sku}"]`).check({ force: true });
    await page.getByRole('button', { name: w.add }).click();
    await page.locator('.cart-badge', { hasText: '1' }).first().waitFor();
    await snap('added');

    await page.goto(new URL('/register', base).href);
    await page.locator('input[name="name"]').fill(lang === 'ko' ? '이서연' : 'Sam Lee');
    await page.locator('input[name="email"]').fill(`journey-${lang}-${Date.now()}@example.com`);
    await page.locator('input[name="password"]').fill('a long password');
    await page.locator('form.auth-form button[type="submit"]').click();
    await page.waitForURL(/\/account$/);
    assert.equal((await page.locator('.cart-badge').first().innerText()).trim(), '1', 'the guest cart survived');
    await snap('registered');

    await page.goto(new URL('/cart', base).href);
    await page.getByRole('link', { name: w.checkout, exact: true }).click();
    await page.waitForURL(/\/checkout$/);
    await snap('checkout-no-address');
    await page.getByRole('link', { name: w.addAddress }).first().click();
    await page.waitForURL(/\/account\/addresses/);
    const form = page.locator('form[action="/account/addresses"]');
    await form.locator('input[name="recipient"]').fill(lang === 'ko' ? '이서연' : 'Sam Lee');
    await form.locator('input[name="line1"]').fill(lang === 'ko' ? '세종대로 110' : '110 Sejong-daero');
    await form.locator('input[name="city"]').fill(lang === 'ko' ? '서울' : 'Seoul');
    await form.locator('input[name="postal_code"]').fill('04524');
    await form.locator('input[name="phone"]').fill('010-0000-0000');
    await snap('address');
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/checkout$/);
    assert.equal(await page.locator('input[name="address_id"]:checked').count(), 1, 'the new address is chosen');
    await snap('review');
    await page.getByRole('button', { name: w.place }).click();
    await page.waitForURL(/\/orders\/\d+\?placed=1$/);
    assert.match(await page.locator('.notice-success').innerText(), new RegExp(w.thanks));
    assert.equal(await page.locator(`.cart-line[data-sku="${variant.sku}"]`).count(), 1);
    assert.equal((await page.locator('.cart-badge').first().innerText()).trim(), '0', 'the order took the cart');
    const price = Number((await page.locator('.cart-total strong').innerText()).replace(/[^\d]/g, ''));
    assert.equal(price, product.price, 'charged the catalogue price');
    await snap('order');

    const orderUrl = page.url();
    await page.goto(new URL('/orders', base).href);
    assert.equal(await page.locator('.order-row').count(), 1);
    assert.match(await page.locator('h1').innerText(), new RegExp(w.orders));
    await snap('history');
    const after = await (await fetch(new URL(`/api/v1/products/${product.id}`, base))).json();
    const left = after.variants.find((v) => v.sku === variant.sku).stock;
    assert.equal(left, variant.stock - 1, 'the stock went down by one and the product page knows at once');
    assert.ok(orderUrl);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('the checkout API: an Idempotency-Key makes one order however often it is sent', async () => {
  const json = { 'Content-Type': 'application/json' };
  const reg = await fetch(new URL('/api/v1/auth/register', base), {
    method: 'POST', headers: json, body: JSON.stringify({ email: `idem-${Date.now()}@example.com`, password: 'long enough', name: 'Idem' }),
  });
  // A cookie jar, as a browser keeps one: the session (mc_sid) and the position of the shopper's last
  // write (mc_rw), which makes their next reads see that write even when a replica lags.
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  keep(reg);
  const auth = () => ({ ...json, Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
  const list = await (await fetch(new URL('/api/v1/products?category=bags&per_page=10', base))).json();
  let sku;
  for (const item of list.items) {
    const p = await (await fetch(new URL(`/api/v1/products/${item.id}`, base))).json();
    sku = p.variants.find((v) => v.stock > 0)?.sku;
    if (sku) break;
  }
  assert.ok(sku);
  assert.equal(keep(await fetch(new URL('/api/v1/cart/items', base), { method: 'POST', headers: auth(), body: JSON.stringify({ sku, qty: 1 }) })).status, 200);
  const address = await keep(await fetch(new URL('/api/v1/me/addresses', base), {
    method: 'POST', headers: auth(), body: JSON.stringify({ recipient: 'I', line1: 'L', city: 'C', postal_code: '1', country: 'KR' }),
  })).json();
  assert.ok(jar.has('mc_rw'), 'a write of the shopper\'s own data remembers where the primary was');
  assert.equal(address.is_default, true, 'the first address is the default');
  const body = JSON.stringify({ address_id: address.id });
  const first = keep(await fetch(new URL('/api/v1/checkout', base), { method: 'POST', headers: { ...auth(), 'Idempotency-Key': 'once' }, body }));
  assert.equal(first.status, 201);
  const again = keep(await fetch(new URL('/api/v1/checkout', base), { method: 'POST', headers: { ...auth(), 'Idempotency-Key': 'once' }, body }));
  assert.equal(again.status, 200);
  assert.equal((await again.json()).id, (await first.json()).id);
  const orders = await (await fetch(new URL('/api/v1/orders', base), { headers: auth() })).json();
  assert.equal(orders.items.length, 1);
  const empty = await fetch(new URL('/api/v1/checkout', base), { method: 'POST', headers: { ...auth(), 'Idempotency-Key': 'twice' }, body });
  assert.equal(empty.status, 422);
  assert.equal((await empty.json()).error.code, 'empty_cart');
});
