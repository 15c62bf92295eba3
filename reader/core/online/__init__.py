"""Online work, only when the user asks: the HTTP client, the services, fetchers, enrichment."""
