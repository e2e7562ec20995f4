import pytest
from django.db import connections

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_user(db):
    """make_user("steward", projects=[project]) → a user with that role."""

    def make(role=None, *, projects=(), contractor=None, **kwargs):
        return UserFactory(role=role, projects=projects, contractor=contractor, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _fresh_workday_calendar():
    """Forget the calendar's process-level caches so no test sees another's years."""
    from warranty import calendar

    calendar.clear_cache()
    calendar._guessed_years.clear()
    yield
    calendar.clear_cache()
    calendar._guessed_years.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A re-used test database may have been flushed by transactional tests: put the reference rows back."""
    from tests.reference_data import ensure_reference_data

    with django_db_blocker.unblock():
        if ensure_reference_data():
            for conn in connections.all():
                conn._test_serialized_contents = conn.creation.serialize_db_to_string()
