"""The Scrapy side of wiredesk: spiders, pipelines, settings, and the `wiredesk` command."""
