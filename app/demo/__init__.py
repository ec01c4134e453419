"""The demo co-op (``flask demo seed``) and the synthetic co-op for benchmarks (``flask demo synthesize``)."""
