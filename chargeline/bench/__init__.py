"""`chargeline bench`: a load generator and the scenarios whose figures docs/benchmarks.md publishes."""
