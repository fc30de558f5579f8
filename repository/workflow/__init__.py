"""The cataloguer's workspace and the review steps: one record at a time or many as a job,
edits of published records that wait for a reviewer, history, notifications."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from repository import permissions
from repository.services import notifications
from repository.workflow import bulk_views, review_views, tasks, views  # noqa: F401 - routes
from repository.workflow.blueprint import ReviewForm, blueprint


def unread_notifications() -> int:
    """The header's count; nothing is asked of the database for a reader not signed in."""
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    tasks.register()
    app.jinja_env.globals.update(
        permissions=permissions, ReviewForm=ReviewForm, unread_notifications=unread_notifications
    )
