"""Use cases of payments. They flush, never commit (an order is committed before Stripe is
called, by the view)."""
