"""What the server serves beside Streamlit's own routes (`server.py` mounts it with `st.App`).

- `browser_key.py`: the HttpOnly cookie that binds a sign-in to the browser it was made in.
- `files.py`: case files (previews, originals, CSV files, bundles) for the sign-in they were
  offered to, through `workbench.downloads`; never Streamlit's open `/media/` addresses.

Nothing here imports Streamlit: the routes and middleware are plain Starlette, tested with its
TestClient and, in the browser tests, through the real server.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from workbench.config import Settings
from workbench.web.browser_key import BrowserKeyMiddleware
from workbench.web.files import FILES_PATH, serve_file


def routes(base_url_path: str = "") -> list[BaseRoute]:
    base = "/" + base_url_path.strip("/") if base_url_path.strip("/") else ""
    return [Route(f"{base}/{FILES_PATH}/{{token}}", serve_file, methods=["GET"])]


def middleware(settings: Settings) -> list[Middleware]:
    return [Middleware(BrowserKeyMiddleware, secure=settings.secure_cookies)]
