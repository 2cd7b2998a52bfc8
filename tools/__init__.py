"""Developer tools: not loaded by the product."""
