"""Browser fixtures: dash.testing's ``dash_br`` drives Debian's Chromium headless."""

from __future__ import annotations

from selenium.webdriver.chrome.options import Options


def pytest_setup_options() -> Options:
    """Chrome options for dash.testing: headless (no display here), a desktop-sized window."""
    options = Options()
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1400,1100")
    return options
