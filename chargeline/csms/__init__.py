"""The central system: one module per OCPP functional block, and the dispatch per version."""
