"""Administrators set up libraries, people and collections from the command line."""

import pytest
from sqlalchemy import select

from repository.extensions import db
from repository.models import Collection, User


@pytest.fixture
def huiku(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run


def test_an_alliance_is_set_up_from_the_command_line(huiku):
    assert (
        huiku(
            "library",
            "create",
            "JL-SL",
            "--name-zh",
            "吉林省图书馆",
            "--name-en",
            "Jilin Provincial Library",
        ).exit_code
        == 0
    )
    result = huiku(
        "collection",
        "create",
        "changbaishan",
        "--profile",
        "natural_history",
        "--title-zh",
        "长白山动植菌物图库",
        "--library",
        "JL-SL",
    )
    assert result.exit_code == 0, result.output
    result = huiku(
        "user",
        "create",
        "reviewer@jl-sl.example.org",
        "--library",
        "JL-SL",
        "--role",
        "reviewer",
        "--password",
        "long-enough-1",
        "--reviews",
        "changbaishan",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "reviewer@jl-sl.example.org"))
    assert user.check_password("long-enough-1")
    assert [c.slug for c in user.reviewed_collections] == ["changbaishan"]
    assert db.session.scalar(select(Collection)).coordinating_library.code == "JL-SL"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("library", "create", "jl sl", "--name-zh", "吉林"), "must be 2–32 capital letters"),
        (
            ("collection", "create", "x1", "--profile", "poetry", "--title-zh", "诗"),
            "unknown collection profile 'poetry'",
        ),
        (
            (
                "user",
                "create",
                "a@b.org",
                "--library",
                "NOPE",
                "--role",
                "admin",
                "--password",
                "long-enough-1",
            ),
            "no library NOPE",
        ),
        (
            (
                "user",
                "create",
                "not-an-address",
                "--library",
                "JL-SL",
                "--role",
                "admin",
                "--password",
                "long-enough-1",
            ),
            "is not an e-mail address",
        ),
        (
            (
                "user",
                "create",
                "a@b.org",
                "--library",
                "JL-SL",
                "--role",
                "admin",
                "--password",
                "short",
            ),
            "at least 8 characters",
        ),
    ],
)
def test_bad_arguments_are_explained_in_one_line(huiku, args, complaint):
    huiku("library", "create", "JL-SL", "--name-zh", "吉林省图书馆")
    result = huiku(*args)
    assert result.exit_code != 0
    assert complaint in result.output
    assert "Traceback" not in result.output


def test_a_library_code_is_taken_once(huiku):
    assert huiku("library", "create", "JL-SL", "--name-zh", "吉林省图书馆").exit_code == 0
    result = huiku("library", "create", "JL-SL", "--name-zh", "另一个")
    assert result.exit_code == 1
    assert "exists already" in result.output
