"""The browser's key: a random secret the server gives each browser in an HttpOnly cookie.

It is set on the first page the browser loads (any HTML response to a request that lacks it), so
the websocket the page then opens carries it, and a sign-in made over that websocket is bound to it
(`workbench/signins.py`). HttpOnly: no script in any page can read it. SameSite=Strict: no other
site's page can make the browser send it. Behind TLS (WORKBENCH_SECURE_COOKIES=1) it is Secure and
named with the __Host- prefix, so neither plain HTTP nor a sibling subdomain can set or read it.

On its own it grants nothing: it only tells the workbench that a connection comes from the browser
a sign-in was made in. It lasts as long as the browser session (no expiry date).
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.config import Settings

NAME = "workbench_browser"


def cookie_name(settings: Settings) -> str:
    return f"__Host-{NAME}" if settings.secure_cookies else NAME


def set_cookie_header(name: str, value: str, *, secure: bool) -> str:
    attributes = ["Path=/", "HttpOnly", "SameSite=Strict"] + (["Secure"] if secure else [])
    return "; ".join([f"{name}={value}", *attributes])


class BrowserKeyMiddleware:
    """Gives a browser its key with the first HTML page it loads without one."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure
        self.name = f"__Host-{NAME}" if secure else NAME

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or HTTPConnection(scope).cookies.get(self.name):
            await self.app(scope, receive, send)
            return

        async def send_with_key(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    value = secrets.token_urlsafe(32)
                    headers.append("set-cookie", set_cookie_header(self.name, value, secure=self.secure))
            await send(message)

        await self.app(scope, receive, send_with_key)
