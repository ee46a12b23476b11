// Browser smoke test: what a shopper sees on the storefront, in headless Chromium.
// Run by script/test, which starts the server and sets MYCLOTHES_URL (e.g. http://127.0.0.1:41234).
// Each step opens a fresh page, checks what is on screen through stable hooks (link targets, h1, the
// search box, visible text), fails on any console error, uncaught exception or CSP violation, and saves
// a screenshot to tests/e2e/artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launchChromium } from './browser.mjs';

const base = process.env.MYCLOTHES_URL;
const artifacts = new URL('./artifacts/', import.meta.url).pathname;
const hangul = /[\u3131-\u318e\uac00-\ud7a3]/;
const price = /₩\s?\d{1,3}(,\d{3})*/g;
const stepTimeout = 60_000;

let browser;
let stepNumber = 0;

before(async () => {
  assert.ok(base, 'MYCLOTHES_URL is not set: run the browser test through script/test');
  let health;
  try {
    health = await fetch(new URL('/healthz', base), { signal: AbortSignal.timeout(5000) });
  } catch (e) {
    assert.fail(`cannot reach the server at ${base}: ${e.cause?.message ?? e.message}`);
  }
  assert.equal(health.status, 200, `GET ${base}/healthz answered ${health.status}`);
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

// step(name, body): body(page) runs on a fresh page of a Korean-speaking shopper; afterwards the page
// must have logged no error, thrown nothing and violated no CSP directive. A screenshot is kept either way.
function step(name, body) {
  test(name, { timeout: stepTimeout }, async () => {
    assert.ok(browser, 'the browser did not start (see the failure above)');
    const number = String(++stepNumber).padStart(2, '0');
    const context = await browser.newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
    page.on('response', (res) => {
      if (res.status() >= 400 && res.request().resourceType() !== 'document') {
        problems.push(`${res.status()} for ${res.url()}`);
      }
    });
    await page.exposeFunction('__reportCspViolation', (v) => problems.push(`CSP violation: ${v}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}`);
      });
    });
    try {
      await body(page);
      // Late errors (an image, a deferred script) surface once the page has settled.
      await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
      assert.deepEqual(problems, [], `problems on ${page.url()}`);
    } finally {
      const file = `${artifacts}${number}-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.png`;
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      await context.close();
    }
  });
}

async function open(page, path) {
  const res = await page.goto(new URL(path, base).href, { waitUntil: 'load' });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  return res;
}

// Product links with their visible text (a card may link its image and its name: keep the named ones).
async function productLinks(page) {
  const scope = (await page.locator('main').count()) > 0 ? 'main ' : '';
  const links = await page.locator(`${scope}a[href^="/p/"]`).evaluateAll((as) =>
    as
      .filter((a) => a.offsetParent !== null || a.getClientRects().length > 0)
      .map((a) => ({ href: a.getAttribute('href'), text: a.innerText.trim() })),
  );
  return links;
}

function namedResults(links) {
  const seen = new Set();
  return links.filter((l) => l.text && !seen.has(l.href) && seen.add(l.href));
}

async function visibleText(page) {
  return page.locator('body').innerText();
}

step('home shows categories and products', async (page) => {
  await open(page, '/');
  const categories = await page.locator('a[href^="/c/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(categories.length >= 3, `expected links to categories, found ${JSON.stringify(categories)}`);
  assert.ok(
    categories.some((h) => h.startsWith('/c/outerwear')),
    `no link to the outerwear category among ${categories}`,
  );
  const products = namedResults(await productLinks(page));
  assert.ok(products.length >= 1, 'the home page shows no product');
  await assert.doesNotReject(page.locator('input[name=q]').first().waitFor({ state: 'visible' }), 'no search box');
});

step('outerwear category shows a grid of products with prices', async (page) => {
  await open(page, '/c/outerwear');
  assert.ok((await page.locator('h1').first().innerText()).trim().length > 0, 'the category page has no heading');
  const products = namedResults(await productLinks(page));
  assert.ok(products.length >= 4, `expected a grid of products, found ${products.length}`);
  const prices = (await visibleText(page)).match(price) ?? [];
  assert.ok(prices.length >= 4, `expected prices in ₩ next to the products, found ${JSON.stringify(prices)}`);
});

step('product page shows name, price, colours and sizes', async (page) => {
  await open(page, '/c/outerwear');
  const first = page.locator('a[href^="/p/"]').filter({ hasText: /\S/ }).first();
  const href = await first.getAttribute('href');
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/p/')), first.click()]);
  const slug = decodeURIComponent(new URL(page.url()).pathname.slice('/p/'.length));
  assert.ok(href.startsWith(`/p/${encodeURIComponent(slug)}`) || href.startsWith(`/p/${slug}`), 'clicked link and page differ');

  const name = (await page.locator('h1').first().innerText()).trim();
  assert.ok(name.length > 0, 'the product page has no h1');
  const text = await visibleText(page);
  assert.match(text, price, 'the product page shows no price in ₩');

  // What the page must offer comes from the API: every size and every colour of this product.
  const product = await findProduct(slug);
  assert.ok(product, `the API does not know the product ${slug}`);
  const sizes = [...new Set(product.variants.map((v) => v.size))];
  const colors = [...new Set(product.variants.map((v) => v.color))];
  assert.ok(sizes.length >= 1 && colors.length >= 1, `product ${slug} has no variants`);
  const choices = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.children.length === 0 && el.innerText) out.push(el.innerText.trim());
      for (const attr of ['value', 'aria-label', 'title', 'alt', 'data-size', 'data-color', 'data-colour']) {
        const v = el.getAttribute(attr);
        if (v) out.push(v.trim());
      }
      if (el.tagName === 'OPTION' || el.tagName === 'LABEL' || el.tagName === 'BUTTON') out.push(el.textContent.trim());
    }
    return out;
  });
  const lower = choices.map((c) => c.toLowerCase());
  for (const size of sizes) {
    assert.ok(
      choices.some((c) => c === size || c.split(/[\s/·,()]+/).includes(size)),
      `size ${size} is not offered on the page`,
    );
  }
  for (const color of colors) {
    assert.ok(lower.some((c) => c.includes(String(color).toLowerCase())), `colour ${color} is not offered on the page`);
  }
});

step('search for 항공 점퍼 finds flight jackets', async (page) => {
  await open(page, '/');
  const box = page.locator('input[name=q]').first();
  await box.fill('항공 점퍼');
  await Promise.all([page.waitForURL((u) => u.pathname === '/search'), box.press('Enter')]);
  assert.equal(new URL(page.url()).searchParams.get('q'), '항공 점퍼');
  const results = namedResults(await productLinks(page));
  assert.ok(results.length >= 1, 'no result for 항공 점퍼');
  const matching = results.filter((r) => /항공\s*점퍼|flight jacket/i.test(r.text));
  assert.ok(/항공\s*점퍼|flight jacket/i.test(results[0].text), `the first result is "${results[0].text}"`);
  assert.ok(
    matching.length * 2 >= results.length,
    `most results should be flight jackets: ${JSON.stringify(results.map((r) => r.text))}`,
  );
});

step('search for flight jacket in English shows English names', async (page) => {
  await open(page, '/search?q=flight+jacket&lang=en');
  const results = namedResults(await productLinks(page));
  assert.ok(results.length >= 1, 'no result for "flight jacket"');
  for (const r of results) assert.ok(!hangul.test(r.text), `a Korean name on the English page: "${r.text}"`);
  assert.match(results[0].text, /flight jacket/i);
  assert.ok(!hangul.test(await page.locator('h1').first().innerText()), 'the heading is not in English');
});

step('a nonsense search shows a helpful empty page', async (page) => {
  const query = 'zqxjvk wqzy';
  await open(page, `/search?q=${encodeURIComponent(query)}`);
  const text = await visibleText(page);
  assert.match(
    text,
    /결과가 없|찾을 수 없|없습니다|no results|nothing (was )?found|no products/i,
    'the page does not say that nothing was found',
  );
  const box = page.locator('input[name=q]').first();
  await assert.doesNotReject(box.waitFor({ state: 'visible' }), 'no search box to try again');
  const echoed = text.includes(query) || (await box.inputValue()) === query;
  assert.ok(echoed, 'the page does not show what was searched for');
  assert.ok((await page.locator('a[href^="/c/"]').count()) >= 1, 'no way onward to the categories');
});

async function findProduct(slug) {
  // The slug's product is on some page of the outerwear listing; the page size caps at 100.
  for (let pageNo = 1; pageNo <= 50; pageNo++) {
    const url = new URL(`/api/v1/products?category=outerwear&per_page=100&page=${pageNo}`, base);
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200, `GET ${url} answered ${res.status}`);
    const listing = await res.json();
    const hit = listing.items.find((p) => p.slug === slug);
    if (hit) {
      const detail = await fetch(new URL(`/api/v1/products/${hit.id}`, base), { signal: AbortSignal.timeout(10_000) });
      assert.equal(detail.status, 200);
      return detail.json();
    }
    if (listing.items.length === 0 || pageNo * listing.per_page >= listing.total) return undefined;
  }
  return undefined;
}
