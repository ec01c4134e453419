"""The API against its own OpenAPI document, fuzzed (schemathesis + Hypothesis) through the
WSGI app, no network: as an anonymous visitor, a listener, an artist and an admin with a
second factor. No input may produce a 5xx, and no answer may contradict the document
(status, content type, headers, the error shape).

Bounded for CI: three examples per operation and mode (valid and invalid inputs), no
shrinking, no example database; both modes take about 1-3 minutes on two cores (more when the
machine is shared). ``FUZZ_EXAMPLES=50`` in the environment makes a longer run by hand.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts.models import Role
from app.core.ratelimit import limiter
from tests.factories import bearer, enable_two_factor, make_artist, make_release, make_track, make_user, token_for

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(app):
    """The document the app serves, read through the WSGI app (no network)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def personas(app, app_ctx):
    """Who calls: nobody, a listener, an artist (with a release and a track), an admin with
    TOTP on (so the pages that need a second factor answer too)."""
    limiter.reset()
    listener = make_user()
    artist_user = make_user(role=Role.ARTIST)
    make_track(release=make_release(artist=make_artist(manager=artist_user)))
    admin = make_user(role=Role.ADMIN)
    enable_two_factor(admin)
    yield {
        "visitor": {},
        "listener": bearer(token_for(listener)),
        "artist": bearer(token_for(artist_user)),
        "admin": bearer(token_for(admin)),
    }
    limiter.reset()


def _fuzz(operation, mode: GenerationMode, personas: dict) -> list[str]:
    """Run one operation's examples in ``mode`` for every persona; the failures, described."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        for who, headers in personas.items():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except AssertionError as exc:  # schemathesis' FailureGroup is an AssertionError
                failures.append(f"{operation.label} as {who} ({mode.value}): {str(exc)[:1500]}")
                return

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body): nothing to try
        pass
    return failures


# schemathesis' own pytest integration (``from_fixture``) does not run on pytest 9; the
# operations are walked here instead, one Hypothesis run per operation and mode.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_api_answers_within_its_document(api_schema, personas, mode):
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        failures += _fuzz(result.ok(), mode, personas)
    assert not failures, "\n\n".join(failures)
