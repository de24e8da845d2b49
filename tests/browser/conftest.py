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


@pytest.fixture
def reload_territory_slice(transactional_db, territory_slice):
    """A transactional test starts from whatever the previous one left (a flushed database after a
    live-server test): load the slice (idempotent, a no-op when present) and load it again after."""
    from territories.importers import import_territories

    import_territories(territory_slice)
    yield
    import_territories(territory_slice)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(live_server, transactional_db, reload_territory_slice, chromium):
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
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
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
