"""Browser tests: Playwright (sync API) on Debian chromium against pytest-django's live_server.

Reusable fixtures: ``browser_page`` (a fresh page; external requests such as map tiles are
aborted, tests never touch the network) and ``login(page, username, password)``.
A live server needs a transactional database, which Django flushes after the test: the territory
slice is loaded before each browser test. `make test` runs browser and Celery-worker tests in a
pytest run of their own so that flushes never reach the rest of the suite.
"""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told otherwise (test-only setting).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every page of every browser test keeps the portal's real Content-Security-Policy, and any
# violation fails the test. Chromium logs a refused script, style or request on the console
# ("... violates the following Content Security Policy directive ..."); the init script below (run
# by the browser itself, outside the page's CSP) also reports each `securitypolicyviolation` event,
# so that a violation is caught even where the console message would be worded differently.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + (e.sourceFile || e.documentURI) + ":" + e.lineNumber);
}, true);
"""
_violations = []  # of the running test, every page included (see the autouse fixture below)


def is_csp_violation(text):
    return "Content Security Policy" in text or text.startswith("CSP violation:")


def new_page(chromium, *, width=1280, height=1000):
    """A page in a fresh context, with the site's Content-Security-Policy enforced (Playwright's
    ``wait_for_function`` evaluates strings in the page, which the CSP forbids: poll with
    ``wait_until`` or wait on locators). CSP violations of the page are collected and fail the test
    (``fail_on_csp_violations``)."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": height})
    context.add_init_script(CSP_WATCH)
    page = context.new_page()

    def on_console(message):
        if is_csp_violation(message.text):
            _violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return context, page


def wait_until(page, expression, timeout=15.0):
    """Poll ``expression`` with ``page.evaluate`` (allowed under the CSP) until it is truthy."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timeout waiting for {expression}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A browser test fails on any CSP violation seen by any of its pages (after its own checks)."""
    _violations.clear()
    result = yield
    if item.get_closest_marker("browser") and _violations:
        seen = list(dict.fromkeys(_violations))
        _violations.clear()
        raise AssertionError(f"Content-Security-Policy violations: {seen}")
    return result


@pytest.fixture
def csp_violations():
    """The CSP violations seen so far by the running test's pages (for tests that check a page)."""
    return _violations


@pytest.fixture
def browser_page(live_server, transactional_db, reload_territory_slice, chromium):
    context, page = new_page(chromium)
    origin = live_server.url

    def only_local(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_local)
    page.set_default_timeout(15_000)
    page.live_url = origin
    yield page
    context.close()


def login(page, username, password):
    page.goto(page.live_url + "/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
