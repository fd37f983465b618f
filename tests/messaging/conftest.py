from tests.messaging.provider import provider  # noqa: F401  (fixture)
