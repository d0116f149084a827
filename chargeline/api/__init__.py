"""The operator API: REST + OpenAPI, the live event stream, webhooks and Prometheus metrics."""
