// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add('js');

// A change of the sort order applies at once (the Apply button beside it is hidden).
document.addEventListener('change', (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute('data-autosubmit') && el.form) el.form.requestSubmit();
});

// "Add to cart" without leaving the page: the same request the form makes, as JSON; the badge follows.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-cart-add')) return;
  const data = new FormData(form);
  const status = form.querySelector('.cart-status');
  if (!data.get('sku')) {
    event.preventDefault();
    if (status) {
      status.textContent = status.dataset.failed || '';
      status.classList.add('is-error');
    }
    return;
  }
  event.preventDefault();
  try {
    const response = await fetch('/api/v1/cart/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ sku: data.get('sku'), qty: Number(data.get('qty') || 1) }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body && body.error ? body.error.message : response.statusText);
    document.querySelectorAll('.cart-badge').forEach((badge) => {
      badge.textContent = String(body.count);
    });
    if (status) {
      status.textContent = status.dataset.added || '';
      status.classList.remove('is-error');
    }
  } catch (error) {
    if (status) {
      status.textContent = `${status.dataset.failed || ''} ${error.message || ''}`.trim();
      status.classList.add('is-error');
    }
  }
});
