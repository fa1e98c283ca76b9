"""Boilerplate the cleaner must strip, shared by tests/test_cleaner.py and tests/test_cleaner_pages.py
(a helper module: test modules do not import each other)."""

NOISE = (
    "Oops",
    "Something went wrong",
    "Please try again later",
    "Advertisement",
    "Skip to content",
    "cookies",
    "Sign up",
    "comments",
    "Share",
    "Copyright",
    "All rights reserved",
    "contributed",
    "Latest World News",
    "See more",
    "Picture: PA",
    "(Photo: PA Wire)",
    "/Pool/AP)",
    "In this article",
    "By Press Association",
    "Related stories",
)
