"""A small local HTTP server speaking the Twilio Messages API wire format, for tests and the
bench: POST …/Messages.json answers 201 with the message's JSON (sid, status, …); GET lists
the accepted messages newest first. It can be told to answer 429, 500, or an error code such as
21610 / 21211, and to hold its answer after accepting a text (to kill a sender mid-send)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@dataclass
class Scripted:
    status: int
    code: int
    retry_after: float | None = None


class FakeTwilio:
    def __init__(self) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.posts = 0
        self.forms: list[dict[str, str]] = []
        self.auth_failures = 0
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._hold = False
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- running ---------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API

            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                fake._post(self)

            def do_GET(self) -> None:
                fake._list(self)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a sender fans out; the default 5 drops connections

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def settings_overrides(self) -> dict[str, Any]:
        """Settings fields (by name) that point the real Twilio provider at this server."""
        from pydantic import SecretStr

        return {
            "sms_provider": "twilio",
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "twilio_api_base_url": self.base_url,
        }

    # --- telling it what to do ---------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `times` sends with `status` and Twilio error `code` (accepting nothing)."""
        with self._lock:
            for _ in range(times):
                self._script.append(Scripted(status, code or status, retry_after))

    def hold_answers(self) -> None:
        """From now on, accept texts but keep their answers until `release()`."""
        self._release.clear()
        self._hold = True

    def release(self) -> None:
        self._hold = False
        self._release.set()

    def texts_to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.accepted if m["to"] == phone]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the fake Twilio never saw what the test waited for")
            await asyncio.sleep(0.02)

    # --- the wire format ---------------------------------------------------------------------

    def _authorised(self, request: BaseHTTPRequestHandler) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") == f"Basic {expected}":
            return True
        with self._lock:
            self.auth_failures += 1
        _answer(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        return False

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if urlsplit(request.path).path != MESSAGES_PATH:
            _answer(request, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if not self._authorised(request):
            return
        length = int(request.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        with self._lock:
            self.posts += 1
            self.forms.append(form)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            headers = {"Retry-After": str(scripted.retry_after)} if scripted.retry_after else {}
            _answer(
                request,
                scripted.status,
                {
                    "code": scripted.code,
                    "message": f"scripted error {scripted.code}",
                    "more_info": f"https://www.twilio.com/docs/errors/{scripted.code}",
                    "status": scripted.status,
                },
                headers,
            )
            return
        if not form.get("To") or not form.get("From") or "Body" not in form:
            _answer(
                request,
                400,
                {"code": 21604, "message": "A 'To' phone number is required.", "status": 400},
            )
            return
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": ACCOUNT_SID,
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "error_code": None,
            "error_message": None,
            "date_created": format_datetime(datetime.now(UTC), usegmt=True),
            "date_sent": None,
            "date_updated": format_datetime(datetime.now(UTC), usegmt=True),
            "uri": f"{MESSAGES_PATH[:-5]}/placeholder.json",
        }
        with self._lock:
            self.accepted.append(message)
        if self._hold:
            self._release.wait(timeout=30)
        _answer(request, 201, message)

    def _list(self, request: BaseHTTPRequestHandler) -> None:
        if urlsplit(request.path).path != MESSAGES_PATH:
            _answer(request, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if not self._authorised(request):
            return
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        with self._lock:
            found = [
                m
                for m in reversed(self.accepted)
                if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
            ]
        _answer(
            request, 200, {"messages": found, "page": 0, "page_size": 50, "next_page_uri": None}
        )


def _answer(
    request: BaseHTTPRequestHandler,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    body = json.dumps(payload).encode()
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client went away (a killed sender): what it missed is the point of the test
