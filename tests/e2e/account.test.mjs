// Accounts in headless Chromium: a guest's cart survives registering, the account's cart follows the
// shopper to another browser, a wrong password says so, logging out empties the badge.
// Screenshots in tests/e2e/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifacts, base, chromiumForTests } from './browser.mjs';

const browser = chromiumForTests();

async function variantInStock() {
  const list = await (await fetch(new URL('/api/v1/products?category=tops&per_page=20', base))).json();
  for (const item of list.items) {
    const p = await (await fetch(new URL(`/api/v1/products/${item.id}`, base))).json();
    const v = p.variants.find((x) => x.stock >= 3);
    if (v) return { product: p, variant: v };
  }
  throw new Error('no top with 3 in stock');
}

const badge = async (page) => (await page.locator('.cart-badge').first().innerText()).trim();

for (const lang of ['ko', 'en']) {
  test(`[${lang}] a guest cart survives registering and follows the account to another browser`, { timeout: 120_000 }, async () => {
    const { product, variant } = await variantInStock();
    const email = `shopper-${lang}-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    const words = lang === 'ko'
      ? { add: '장바구니 담기', register: '회원가입', login: '로그인', logout: '로그아웃', wrong: '맞지 않습니다' }
      : { add: 'Add to cart', register: 'Create an account', login: 'Log in', logout: 'Log out', wrong: 'not right' };
    const locale = lang === 'ko' ? 'ko-KR' : 'en-US';

    const first = await browser().newContext({ locale, viewport: { width: 1280, height: 900 } });
    const page = await first.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(new URL(`/p/${product.slug}?color=${variant.color}`, base).href);
    await page.locator(`input[name="sku"][value="${variant.sku}"]`).check({ force: true });
    await page.getByRole('button', { name: words.add }).click();
    await page.locator('.cart-badge', { hasText: '1' }).first().waitFor();
    const before = (await first.cookies()).find((c) => c.name === 'mc_sid')?.value;
    assert.ok(before, 'adding to the cart gave the guest a session');

    await page.goto(new URL('/register', base).href);
    await page.locator('input[name="name"]').fill(lang === 'ko' ? '김민지' : 'Alex Kim');
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(password);
    await page.screenshot({ path: `${artifacts}account-${lang}-01-register.png` });
    await page.locator('form.auth-form button[type="submit"]').click();
    await page.waitForURL(/\/account$/);
    const after = (await first.cookies()).find((c) => c.name === 'mc_sid')?.value;
    assert.notEqual(after, before, 'registering (logging in) rotates the session id');
    assert.equal(await badge(page), '1', 'the guest cart survived');
    await page.screenshot({ path: `${artifacts}account-${lang}-02-account.png` });

    await page.getByRole('button', { name: words.logout }).click();
    await page.waitForURL(new URL('/', base).href);
    assert.equal(await badge(page), '0', 'logged out: a fresh, empty guest session');
    await first.close();

    const second = await browser().newContext({ locale, viewport: { width: 1280, height: 900 } });
    const other = await second.newPage();
    other.setDefaultTimeout(15_000);
    await other.goto(new URL('/login', base).href);
    await other.locator('input[name="email"]').fill(email);
    await other.locator('input[name="password"]').fill('not the password');
    await other.locator('form.auth-form button[type="submit"]').click();
    assert.match(await other.locator('.notice-error').innerText(), new RegExp(words.wrong));
    await other.locator('input[name="password"]').fill(password);
    await other.locator('form.auth-form button[type="submit"]').click();
    await other.waitForURL(/\/account$/);
    assert.equal(await badge(other), '1', "the account's cart is here too");
    await other.goto(new URL('/cart', base).href);
    assert.equal(await other.locator(`.cart-line[data-sku="${variant.sku}"]`).count(), 1);
    await other.screenshot({ path: `${artifacts}account-${lang}-03-other-browser-cart.png` });
    await second.close();
  });
}

test('the account API: register, me, logout, and the errors it promises', async () => {
  const email = `api-${Date.now()}@example.com`;
  const json = { 'Content-Type': 'application/json' };
  const reg = await fetch(new URL('/api/v1/auth/register', base), {
    method: 'POST', headers: json, body: JSON.stringify({ email, password: 'long enough', name: 'API' }),
  });
  assert.equal(reg.status, 201);
  const cookie = (reg.headers.get('set-cookie') ?? '').split(';')[0];
  const me = await fetch(new URL('/api/v1/me', base), { headers: { Cookie: cookie } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).user.email, email);
  const again = await fetch(new URL('/api/v1/auth/register', base), {
    method: 'POST', headers: json, body: JSON.stringify({ email: email.toUpperCase(), password: 'long enough', name: 'X' }),
  });
  assert.equal(again.status, 409);
  assert.equal((await again.json()).error.code, 'email_taken');
  const short = await fetch(new URL('/api/v1/auth/register', base), {
    method: 'POST', headers: json, body: JSON.stringify({ email: `x${email}`, password: 'short', name: 'X' }),
  });
  assert.equal(short.status, 422);
  const out = await fetch(new URL('/api/v1/auth/logout', base), { method: 'POST', headers: { ...json, Cookie: cookie }, body: '{}' });
  assert.equal(out.status, 204);
  const gone = await fetch(new URL('/api/v1/me', base), { headers: { Cookie: cookie } });
  assert.equal(gone.status, 401);
  assert.equal((await gone.json()).error.code, 'not_logged_in');
});
