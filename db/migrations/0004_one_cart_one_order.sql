-- One cart, one order. Every write of a cart gives it a new version (session/session.hpp, CartSnapshot);
-- an order records the version of the cart it took, and a user's cart version places at most one order.
-- So checkouts that race with different Idempotency-Keys for the same cart make one order: the others answer
-- with it, as a retry with the same key does.
ALTER TABLE orders ADD COLUMN cart_version text CHECK (cart_version IS NULL OR length(cart_version) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX orders_user_cart_version ON orders (user_id, cart_version) WHERE cart_version IS NOT NULL;

DROP FUNCTION place_order(bigint, text, bigint, text[], integer[]);

-- As before (0003), with p_cart: the version of the cart the lines come from (NULL: a cart without one).
CREATE FUNCTION place_order(p_user bigint, p_key text, p_address bigint, p_skus text[], p_qtys integer[],
                            p_cart text)
RETURNS TABLE (outcome text, order_id bigint, short_sku text, available integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_order bigint;
  v_address jsonb;
  v_line record;
  v_total bigint;
BEGIN
  -- This key's order, or the order that took this very cart: either is the answer, and nothing changes.
  SELECT o.id INTO v_order FROM orders o
   WHERE o.user_id = p_user AND (o.idempotency_key = p_key OR o.cart_version = p_cart)
   ORDER BY o.id LIMIT 1;
  IF FOUND THEN
    RETURN QUERY SELECT 'existing'::text, v_order, NULL::text, NULL::integer;
    RETURN;
  END IF;

  SELECT jsonb_build_object('recipient', a.recipient, 'line1', a.line1, 'line2', a.line2, 'city', a.city,
                            'postal_code', a.postal_code, 'country', a.country, 'phone', a.phone)
    INTO v_address FROM addresses a WHERE a.id = p_address AND a.user_id = p_user;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_address'::text, NULL::bigint, NULL::text, NULL::integer;
    RETURN;
  END IF;

  FOR v_line IN
    SELECT q.sku, q.qty, v.stock
      FROM unnest(p_skus, p_qtys) AS q(sku, qty)
      LEFT JOIN (SELECT pv.sku, pv.stock FROM product_variants pv
                  WHERE pv.sku = ANY (p_skus) ORDER BY pv.sku FOR UPDATE) v ON v.sku = q.sku
     ORDER BY q.sku
  LOOP
    IF v_line.stock IS NULL OR v_line.stock < v_line.qty THEN
      RETURN QUERY SELECT 'insufficient_stock'::text, NULL::bigint, v_line.sku, coalesce(v_line.stock, 0);
      RETURN;
    END IF;
  END LOOP;

  BEGIN
    UPDATE product_variants pv SET stock = pv.stock - q.qty
      FROM unnest(p_skus, p_qtys) AS q(sku, qty) WHERE pv.sku = q.sku;
    SELECT sum(p.price * q.qty) INTO v_total
      FROM unnest(p_skus, p_qtys) AS q(sku, qty)
      JOIN product_variants pv ON pv.sku = q.sku JOIN products p ON p.id = pv.product_id;
    INSERT INTO orders (user_id, total, address, idempotency_key, cart_version)
      VALUES (p_user, v_total, v_address, p_key, p_cart) RETURNING id INTO v_order;
    INSERT INTO order_items (order_id, sku, product_id, name_ko, name_en, size, color, qty, unit_price)
      SELECT v_order, q.sku, p.id, p.name_ko, p.name_en, pv.size, pv.color, q.qty, p.price
        FROM unnest(p_skus, p_qtys) AS q(sku, qty)
        JOIN product_variants pv ON pv.sku = q.sku JOIN products p ON p.id = pv.product_id;
  EXCEPTION WHEN unique_violation THEN
    -- The same key, or another checkout of the same cart, raced us and won: its order is the answer, and this
    -- attempt's changes are undone (the block is a subtransaction).
    SELECT o.id INTO v_order FROM orders o
     WHERE o.user_id = p_user AND (o.idempotency_key = p_key OR o.cart_version = p_cart)
     ORDER BY o.id LIMIT 1;
    RETURN QUERY SELECT 'existing'::text, v_order, NULL::text, NULL::integer;
    RETURN;
  END;
  RETURN QUERY SELECT 'created'::text, v_order, NULL::text, NULL::integer;
END;
$$;
