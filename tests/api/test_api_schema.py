"""schemathesis against the served OpenAPI schema: every operation, a bounded number of generated
requests each, on the real slice with a successful run and the DREES APL loaded; no server error,
and every response (JSON or CSV) conforms to the schema (status code, content type, body)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.django_db
EXAMPLES = 12  # per operation


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request: the test client does
    not, and neither may this test (its data live in the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_conforms_to_its_schema(official, computed, keep_test_connection):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    checked = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def conforms(case):
            # the WSGI transport does not decompress: ask for the plain body
            case.call_and_validate(headers={"Accept-Encoding": "identity"})

        conforms()
        checked.append(operation.label)
    assert len(checked) == len(operations)
