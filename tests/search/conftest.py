"""Search tests reuse the UI client fixture."""

from tests.ui.conftest import client_as  # noqa: F401
