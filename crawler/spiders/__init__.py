"""Spiders. One generic spider, configured per source, finds articles in feeds, sitemaps and section pages."""
