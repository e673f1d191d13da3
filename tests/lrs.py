"""Learning record stores for the forwarding tests.

- ``FakeLrs``: a small HTTP server in a thread whose answer each test chooses (status, body, delay), for the
  failure modes a real LRS will not produce on demand. It records every request.
- ``RalphLrs``: the real thing. Ralph (PyPI ``ralph-malph[lrs]``, by France Université Numérique) ships an xAPI
  LRS server, a FastAPI app; it runs here under uvicorn as a subprocess on a free port, on Ralph's file-system
  backend (statements in one JSON Lines file in a temporary directory), with Basic auth from an auth file
  written like ``ralph auth`` writes it (a bcrypt hash per user, scope "all"). ``ralph runserver`` does the same
  with the "cli" extra, which pins click below the version the project's celery needs, so the tests start
  uvicorn themselves, with the environment ``ralph runserver`` would set. One change to Ralph: its file backend
  (meant for development) writes each POST with the "create" operation, which refuses to write to a file that
  exists, so every POST after the first would fail with a 500; ``LAUNCHER`` makes it append instead. The
  LRS's own logic (validation, dedup by id, 409 on a differing duplicate, ``GET /statements``) is Ralph's.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

import bcrypt
import requests

USERNAME, PASSWORD = "forwarder", "s3cret-lrs"
LAUNCHER = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    statements: list[dict]

    @property
    def ids(self) -> list[str]:
        return [statement["id"] for statement in self.statements]


Answer = tuple[int, str]


@dataclass
class FakeLrs:
    """An LRS whose ``answer(statements) -> (status, body)`` a test sets; it stores what it answers 200 to,
    and answers an already-stored id as a conformant LRS would (accepted, not stored twice)."""

    answer: Callable[[list[dict]], Answer] = lambda statements: (200, json.dumps([s["id"] for s in statements]))
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    stored: dict[str, dict] = field(default_factory=dict)

    def start(self) -> FakeLrs:
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                statements = json.loads(body)
                lrs.requests.append(Request(self.path, dict(self.headers), statements))
                if lrs.delay:
                    time.sleep(lrs.delay)
                status, text = lrs.answer(statements)
                if status == 200:
                    for statement in statements:
                        lrs.stored.setdefault(statement["id"], statement)
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RalphLrs:
    """Ralph's LRS server in a subprocess (uvicorn, file-system backend, Basic auth)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.base}/xAPI"

    def start(self) -> RalphLrs:
        auth_file = self.directory / "auth.json"
        auth_file.write_text(json.dumps([{
            "agent": {"objectType": "Agent", "mbox": "mailto:forwarder@school.example"}, "scopes": ["all"],
            "username": USERNAME, "hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()}]))
        environment = {
            **os.environ,
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.directory),
            "RALPH_AUTH_FILE": str(auth_file),
            "RALPH_APP_DIR": str(self.directory),
        }
        self.log = open(self.directory / "ralph.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(self.port)],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.directory)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Ralph's LRS exited: {(self.directory / 'ralph.log').read_text()}")
            try:
                if requests.get(f"{self.base}/__heartbeat__", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Ralph's LRS did not start: {(self.directory / 'ralph.log').read_text()}")

    def statements(self) -> list[dict]:
        """Every stored statement, read back with ``GET /statements`` (following the ``more`` links)."""
        found: list[dict] = []
        url = f"{self.endpoint}/statements"
        auth = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        while url:
            page = requests.get(url, headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"}, timeout=10)
            page.raise_for_status()
            body = page.json()
            found.extend(body["statements"])
            url = urljoin(self.base, body["more"]) if body.get("more") else None
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
