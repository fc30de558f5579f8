"""The administration blueprint; ``views`` and ``collections`` add their pages to it."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from repository.errors import PermissionDenied
from repository.messages import Message

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.before_request
@login_required
def require_admin() -> None:
    if not (current_user.is_active and current_user.is_admin):
        raise PermissionDenied(Message("only administrators may open these pages"))
