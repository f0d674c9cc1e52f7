"""End-to-end tests that drive Debian's Chromium through Playwright against a live server."""
