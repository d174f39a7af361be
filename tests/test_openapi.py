"""schemathesis over the server's OpenAPI description (``/openapi.json``): every operation of every
route, the SPARQL endpoint included, with generated parameters and bodies, against a real server.

No answer is a server error (a 503 only for the time limit or busy workers, as the endpoint
documents), each comes within the time limit and a margin, and it has a status code and media
type the description lists. Derandomised, with bounded examples per operation.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

import sparql_strategies as ss
from serving import free_port, stop

TIMEOUT = 2
DEADLINE = 2 * TIMEOUT + 8


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    _, dist = built
    port = free_port()
    log = tmp_path_factory.mktemp("openapi") / "server.log"
    proc = ss.serve(dist, port, log, "--timeout", str(TIMEOUT), "--workers", "2", "--store", "memory")
    yield f"http://127.0.0.1:{port}"
    stop(proc)


SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def api(served):
    return schemathesis.openapi.from_url(served + "/openapi.json")


def test_every_route_is_described(api):
    """The description lists the endpoint and the pages (so the test below reaches them all)."""
    paths = set(api.raw_schema["paths"])
    assert {"/sparql", "/", "/query", "/search", "/search.json", "/dumps/{name}", "/{kind}"} <= paths
    assert set(api.raw_schema["paths"]["/sparql"]) == {"get", "post"}


def check(case: schemathesis.Case) -> None:
    response = case.call(timeout=DEADLINE)
    if response.status_code == 503:  # the documented answer to a query stopped at its time limit
        text = (
            response.text if case.method.upper() != "HEAD" else httpx.get(response.request.url, timeout=DEADLINE).text
        )
        assert ss.TIME_LIMIT_RE.search(text), text
    else:
        case.validate_response(response, checks=CHECKS)
    assert response.elapsed < DEADLINE, f"{response.elapsed:.1f} s"


#: No 5xx; a status code and a media type the description lists for the operation.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


#: Path parameters that name something that exists: generated ones find only 404s.
EXISTING = {
    "/{kind}": ["id/district/110108", "id/year/2024", "id/measure/share", "def/hotline", "id/district/110108.csv"],
    "/dumps/{name}": ["hotline.ttl", "void.ttl", "SHA256SUMS"],
    "/reports/{name}": ["2024.txt"],
}


def run_operation(operation, failures: list[str], **fixed: object) -> None:
    """Run one operation's cases, positive and negative; add what fails to ``failures``."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @SETTINGS
        def run(case: schemathesis.Case) -> None:
            check(case)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (a route without parameters)
            pass
        except (Exception, BaseExceptionGroup) as err:  # schemathesis raises a group of failures
            failures.append(f"{operation.label} ({mode.value}, {fixed}): {err}")


def test_every_operation(api):
    """Every operation, with data that fits its description and with data that does not (bounded,
    derandomised); the routes with a path parameter also with names that exist. The failures of
    all operations are reported together. (A loop rather than ``schemathesis.pytest.from_fixture``,
    whose lazy loading does not run under pytest 9.)"""
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        run_operation(operation, failures)
        name = operation.path.split("{")[-1].rstrip("}") if "{" in operation.path else ""
        for value in EXISTING.get(operation.path, []):
            run_operation(operation, failures, path_parameters={name: value})
    assert not failures, "\n\n".join(failures)
