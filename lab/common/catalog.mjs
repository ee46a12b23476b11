// The catalog as a shopper can learn it from the API: the categories and every product's id, slug and category.
// lab/reads plans its workload over it; lab/az browses it.

import crypto from 'node:crypto';

const kDiscoverPerPage = 100;
const kDiscoverMaxPages = 200;  // at most 20,000 products are learnt (a Zipf tail beyond is never reached anyway)

// Categories and products (id, slug, category) from /api/v1/categories and /api/v1/products?per_page=100,
// sorted by id so that the plans depend on the catalog only, never on a listing's order.
export async function discoverCatalog(shopper) {
  const cats = await shopper.request('GET', '/api/v1/categories');
  if (cats.status !== 200 || !Array.isArray(cats.json?.items)) {
    throw new Error(`GET /api/v1/categories answered ${cats.error ?? cats.status}: ${cats.text.slice(0, 200)}`);
  }
  const categories = cats.json.items.filter((c) => c.count > 0).map((c) => ({ slug: c.slug, count: c.count }));
  const products = [];
  let total = null;
  for (let page = 1; page <= kDiscoverMaxPages; page += 1) {
    const a = await shopper.request('GET', `/api/v1/products?per_page=${kDiscoverPerPage}&page=${page}`);
    if (a.status !== 200 || !Array.isArray(a.json?.items)) {
      throw new Error(`GET ${a.path} answered ${a.error ?? a.status}: ${a.text.slice(0, 200)}`);
    }
    total = a.json.total;
    for (const p of a.json.items) products.push({ id: p.id, slug: p.slug, category: p.category });
    if (a.json.items.length < kDiscoverPerPage || products.length >= total) break;
  }
  if (products.length === 0 || categories.length === 0) throw new Error('the catalog is empty');
  products.sort((a, b) => a.id - b.id);
  categories.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  const fingerprint = crypto.createHash('sha256')
    .update(JSON.stringify([products.map((p) => [p.id, p.slug, p.category]), categories.map((c) => [c.slug, c.count])]))
    .digest('hex').slice(0, 12);
  return { total, categories, products, fingerprint, learnt: products.length };
}
