"""Python-only transports: the structured-clone value model, the in-memory ``MessageChannel``, the
binary codec and the inter-process connection."""
