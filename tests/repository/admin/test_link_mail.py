"""With a mail server configured, a one-time link is mailed too; an unreachable one leaves the
link on the page to hand over, with a warning."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import submit_form


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib.send_message; each message's text goes to ``server.mail``."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command == "DATA":
                self.wfile.write(b"354 go on\r\n")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data.decode())
                self.server.mail.append("".join(body))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def mail_server(app) -> Iterator[list[str]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.mail = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1])
    try:
        yield server.mail  # type: ignore[attr-defined]
    finally:
        app.config.pop("SMTP_HOST")
        app.config.pop("SMTP_PORT")
        server.shutdown()
        server.server_close()


def test_a_reset_link_is_mailed_when_a_mail_server_is_configured(
    login, alliance_admin, library_admin, mail_server
):
    browser = login(alliance_admin)
    url = f"/admin/users/{library_admin.id}"
    page = submit_form(browser, url + "?lang=en", {}, action=url + "/reset-link?lang=en")
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    assert f"It was also sent to {library_admin.email}" in html
    link = html.split("data-link>")[1].split("<")[0]
    [message] = mail_server
    assert f"To: {library_admin.email}" in message and link in message


def test_an_unreachable_mail_server_leaves_the_link_on_the_page(
    app, login, alliance_admin, library_admin
):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on the discard port
    try:
        browser = login(alliance_admin)
        url = f"/admin/users/{library_admin.id}"
        page = submit_form(browser, url + "?lang=en", {}, action=url + "/reset-link?lang=en")
    finally:
        app.config.pop("SMTP_HOST")
        app.config.pop("SMTP_PORT")
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    assert "/account/link/" in html
    assert "The mail server could not be reached" in html
