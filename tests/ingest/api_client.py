"""A JSON-API client for tests that holds every answer to the published OpenAPI description.

Each response's status must be documented for its operation, and its JSON body must validate
against the documented schema; so every API test doubles as a test of the description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from repository.models import User, UserRole
from repository.services import accounts, tokens
from tests.factories import PASSWORD

_PARAMETER = re.compile(r"\{[^}/]+\}")


def issue_token(user: User, name: str = "cataloguing system") -> str:
    """A token for ``user``, made by an administrator of the same library, as on the admin page."""
    admin = next(
        (u for u in user.library.users if u.role is UserRole.ADMIN and u.active),
        None,
    ) or accounts.create_user(
        f"token-admin-{user.library.code.lower()}@example.org",
        user.library,
        "admin",
        PASSWORD,
    )
    return tokens.create_token(admin, user, name)[1]


@dataclass
class ApiClient:
    client: FlaskClient
    spec: dict[str, Any]
    token: str | None = None
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", url, **kwargs)

    def request(self, method: str, url: str, *, token: str | None = None, **kwargs) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        secret = token if token is not None else self.token
        if secret:
            headers.setdefault("Authorization", f"Bearer {secret}")
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        self.check(method, url, response)
        return response

    def check(self, method: str, url: str, response: TestResponse) -> None:
        """The status is documented for this operation and the body matches its schema."""
        template, operation = self.operation(method, url)
        documented = operation["responses"].get(str(response.status_code))
        assert documented, f"{method} {template} answered {response.status_code}, undocumented"
        content = documented.get("content", {})
        if "application/json" in content:
            assert response.is_json, f"{method} {url}: not JSON but {response.content_type}"
            schema = {
                **content["application/json"]["schema"],
                "components": self.spec["components"],
            }
            problems = [
                f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in Draft202012Validator(schema).iter_errors(response.get_json())
            ]
            assert problems == [], f"{method} {url} ({response.status_code}): {problems}"
        else:
            assert set(content) >= {response.mimetype}, (template, response.mimetype)
        self.checked.append((method, template, response.status_code))

    def operation(self, method: str, url: str) -> tuple[str, dict[str, Any]]:
        path = urlsplit(url).path
        for template, item in self.spec["paths"].items():
            pattern = "^" + "[^/]+".join(map(re.escape, _PARAMETER.split(template))) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return template, item[method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI description")
