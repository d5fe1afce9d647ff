"""Browser end-to-end tests: a real Chromium at a phone viewport against gunicorn on loopback."""
