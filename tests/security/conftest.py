from tests.tickets.conftest import world  # noqa: F401  (the shared small world of the lifecycle tests)
