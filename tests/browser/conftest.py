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


def new_page(chromium, *, bypass_csp=True, width=1280, height=1000):
    """A page in a fresh context. Playwright's ``wait_for_function`` evaluates strings in the page,
    which the portal's Content-Security-Policy forbids: tests that check the CSP itself pass
    ``bypass_csp=False`` and poll with ``evaluate`` instead (see ``wait_until``)."""
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": width, "height": height}, bypass_csp=bypass_csp
    )
    return context, context.new_page()


def wait_until(page, expression, timeout=15.0):
    """Poll ``expression`` with ``page.evaluate`` (allowed under the CSP) until it is truthy."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timeout waiting for {expression}")


@pytest.fixture
def browser_page(live_server, transactional_db, reload_territory_slice, chromium, request):
    bypass = not request.node.get_closest_marker("csp_enforced")
    context, page = new_page(chromium, bypass_csp=bypass)
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
