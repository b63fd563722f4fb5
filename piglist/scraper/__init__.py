"""Product-page scraping: a hardened fetcher and a product extractor."""
