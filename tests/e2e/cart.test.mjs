// The cart in headless Chromium: add from a product page with JavaScript (no reload, the badge follows)
// and without it (the plain form), change a quantity, remove a line. Screenshots in tests/e2e/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifacts, base, chromiumForTests } from './browser.mjs';

const browser = chromiumForTests();

// A product with at least two sizes in stock, from the API.
async function productInStock() {
  const list = await (await fetch(new URL('/api/v1/products?category=outerwear&per_page=20', base))).json();
  for (const item of list.items) {
    const p = await (await fetch(new URL(`/api/v1/products/${item.id}`, base))).json();
    const color = p.variants.find((v) => v.stock >= 3)?.color;
    const sizes = p.variants.filter((v) => v.color === color && v.stock >= 3);
    if (sizes.length >= 2) return { product: p, color, variants: sizes };
  }
  throw new Error('no product with two sizes in stock among the first 20 outerwear items');
}

async function shopper(options = {}) {
  const context = await browser().newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return { context, page, problems };
}

test('with JavaScript: add to cart without a reload, then change and remove on the cart page', { timeout: 90_000 }, async () => {
  const { product, color, variants } = await productInStock();
  const { context, page, problems } = await shopper();
  try {
    await page.goto(new URL(`/p/${product.slug}?color=${color}`, base).href);
    assert.equal((await page.locator('.cart-badge').first().innerText()).trim(), '0');
    let navigated = false;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigated = true;
    });
    await page.locator(`input[name="sku"][value="${variants[0].sku}"]`).check({ force: true });
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('.cart-badge', { hasText: '1' }).first().waitFor();
    assert.equal(navigated, false, 'adding should not reload the page');
    await page.locator(`input[name="sku"][value="${variants[1].sku}"]`).check({ force: true });
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('.cart-badge', { hasText: '2' }).first().waitFor();
    await page.screenshot({ path: `${artifacts}cart-01-added.png` });

    await page.goto(new URL('/cart', base).href);
    assert.equal(await page.locator('.cart-line').count(), 2);
    const first = page.locator(`.cart-line[data-sku="${variants[0].sku}"]`);
    await first.locator('input[type="number"]').fill('3');
    await first.getByRole('button', { name: 'Update' }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal((await page.locator('.cart-badge').first().innerText()).trim(), '4');
    const expected = product.price * 4;
    const total = Number((await page.locator('.cart-total strong').innerText()).replace(/[^\d]/g, ''));
    assert.equal(total, expected, 'the total is 4 × the catalog price');
    await page.locator(`.cart-line[data-sku="${variants[1].sku}"]`).getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal(await page.locator('.cart-line').count(), 1);
    await page.screenshot({ path: `${artifacts}cart-02-changed.png` });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('without JavaScript: the plain form adds to the cart, in Korean', { timeout: 60_000 }, async () => {
  const { product, color, variants } = await productInStock();
  const { context, page } = await shopper({ javaScriptEnabled: false, locale: 'ko-KR' });
  try {
    await page.goto(new URL(`/p/${product.slug}?color=${color}`, base).href);
    await page.locator(`input[name="sku"][value="${variants[0].sku}"]`).check({ force: true });
    await page.getByRole('button', { name: '장바구니 담기' }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal(await page.locator('.cart-line').count(), 1);
    assert.match(await page.locator('h1').innerText(), /장바구니/);
    assert.equal((await page.locator('.cart-badge').first().innerText()).trim(), '1');
    await page.screenshot({ path: `${artifacts}cart-03-no-js-ko.png` });
  } finally {
    await context.close();
  }
});

test('the cart API refuses foreign origins and non-JSON bodies, and a forged session is just a new one', async () => {
  const { variants } = await productInStock();
  const url = new URL('/api/v1/cart/items', base);
  const body = JSON.stringify({ sku: variants[0].sku, qty: 1 });
  const foreign = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body });
  assert.equal(foreign.status, 403);
  assert.equal((await foreign.json()).error.code, 'forbidden_origin');
  const form = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'sku=x' });
  assert.equal(form.status, 415);
  const forged = await fetch(new URL('/api/v1/cart', base), { headers: { Cookie: 'mc_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  assert.equal(forged.status, 200);
  assert.equal((await forged.json()).count, 0);
  const expired = await fetch(new URL('/cart?lang=en', base), { headers: { Cookie: 'mc_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  assert.equal(expired.status, 200, 'an unknown session is an empty cart, never an error page');
  assert.match(await expired.text(), /Your session expired/);
  const account = await fetch(new URL('/account', base), { redirect: 'manual', headers: { Cookie: 'mc_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  assert.equal(account.status, 303);
  assert.equal(account.headers.get('location'), '/login?expired=1');
  const added = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  assert.equal(added.status, 200);
  const cookie = added.headers.get('set-cookie') ?? '';
  assert.match(cookie, /mc_sid=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const bad = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sku: variants[0].sku, qty: 100 }) });
  assert.equal(bad.status, 422);
  assert.equal((await bad.json()).error.code, 'invalid_input');
});

test('two instances serve one shopper interchangeably: a cart changed through one is seen through the other', async () => {
  const second = process.env.MYCLOTHES_URL_2;
  assert.ok(second, 'MYCLOTHES_URL_2 is not set: script/test starts a second instance for this test');
  const { variants } = await productInStock();
  const add = await fetch(new URL('/api/v1/cart/items', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sku: variants[0].sku, qty: 2 }),
  });
  assert.equal(add.status, 200);
  const cookie = (add.headers.get('set-cookie') ?? '').split(';')[0];
  assert.match(cookie, /^mc_sid=/);
  const one = add.headers.get('x-instance-id');
  const seen = await fetch(new URL('/api/v1/cart', second), { headers: { Cookie: cookie } });
  assert.notEqual(seen.headers.get('x-instance-id'), one, 'the two URLs must be two instances');
  assert.equal((await seen.json()).count, 2);
  const changed = await fetch(new URL(`/api/v1/cart/items/${variants[0].sku}`, second), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Cookie: cookie },
    body: JSON.stringify({ qty: 1 }),
  });
  assert.equal(changed.status, 200);
  const back = await fetch(new URL('/api/v1/cart', base), { headers: { Cookie: cookie } });
  assert.equal((await back.json()).count, 1);
  const removed = await fetch(new URL(`/api/v1/cart/items/${variants[0].sku}`, base), {
    method: 'DELETE',
    headers: { Cookie: cookie },
  });
  assert.equal((await removed.json()).count, 0);
  const page = await (await fetch(new URL('/cart?lang=en', second), { headers: { Cookie: cookie } })).text();
  assert.match(page, /Your cart is empty/);
});
