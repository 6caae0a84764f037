"""The password backend, reading the signed-in user by one statement compiled once (issue 19).

Every page view reads the session's user: Django's ModelBackend builds and compiles
`User.objects.get(pk=...)` for each (~0.6 ms of Python). Here the statement is compiled once per
process (opsdesk.statements.compiled_get) and prepared per connection; the user is the same
instance, with the same checks (an inactive user is refused). Sessions store the path of the backend
that signed the user in, so sessions made under django.contrib.auth.backends.ModelBackend end with the
upgrade that introduced this one: those users sign in once more."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends

from opsdesk.statements import compiled_get

from .models import User


def _user_by_id(pk: int) -> Any:
    return User._default_manager.filter(pk=pk)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None  # not an id a session of ours holds
        user = compiled_get(model=User, shape=("session-user",), build=_user_by_id, key=pk)
        return user if user is not None and self.user_can_authenticate(user) else None
