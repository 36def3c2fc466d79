"""GET /files/<token>: a case file, for the browser and sign-in it was offered to.

The token comes from `downloads.offer`; `downloads.redeem` decides, with the browser's key from
its cookie. Every refusal is the same 404 with the same words, whatever the reason (the reason is
in the audit log), so a link tells whoever holds it nothing. The endpoint is synchronous: Starlette
runs it in its thread pool, and it opens its own database connection for the one request.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from workbench import downloads
from workbench.config import Settings
from workbench.db import open_home
from workbench.web.browser_key import cookie_name

FILES_PATH = "files"
_LOG = logging.getLogger(__name__)

REFUSAL = (
    "This link does not work (any more).\n\n"
    "A link to a file from the safeguarding workbench works for the person signed in who asked for "
    "it, in the browser they asked in, for a few minutes; a download link works once. Go back to "
    "the workbench and ask for the file again.\n"
)

# Whatever a file holds, the browser must not run it or guess that it is something else.
_SAFE = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def content_disposition(file_name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII stand-in, and the real name percent-encoded as UTF-8."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in file_name)[:150]
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(file_name)}"


def refusal() -> Response:
    return PlainTextResponse(REFUSAL, status_code=404, headers=_SAFE)


def serve_file(request: Request) -> Response:
    settings = Settings.from_env()
    db = open_home(settings)
    try:
        served = downloads.redeem(
            db, request.path_params["token"], request.cookies.get(cookie_name(settings)), settings
        )
    except downloads.Refused:
        return refusal()
    except Exception:  # never a traceback to the browser; nothing about the case in the log either
        _LOG.exception("a file could not be served")
        return PlainTextResponse("The workbench could not serve this file.\n", status_code=500, headers=_SAFE)
    finally:
        db.conn.close()
    headers = {**_SAFE, "Content-Disposition": content_disposition(served.file_name, inline=served.inline)}
    if served.path is not None:
        path = served.path
        return FileResponse(
            path, media_type=served.mime, headers=headers, background=BackgroundTask(downloads.discard, path)
        )
    return Response(served.data, media_type=served.mime, headers=headers)
