from tests.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    client,
    fake_connector,
    other_tenant,
    settings,
    tenant,
    worker,
)
