#!/usr/bin/env python3
"""A tiny loopback stand-in for an OmniRoute gateway, for client tests.

Serves, on 127.0.0.1 only:
  GET /v1/models   {"object":"list","data":[...]}  OmniRoute-shaped entries (combos, placeholders,
                   a non-chat embedding entry, an alias twin)
  GET /v1/combos   {"object":"list","data":[{name,strategy,models:[...]}]}  (3.8 shape, nested combo)
  GET /api.json    a minimal models.dev document (for modelsDev.url)
Anything else is a 404.

Auth like the real gateway: no Authorization header is accepted (open endpoint, unless
--require-key), a Bearer that is not the test key gets 401.

State file (--state PATH, re-read on every request, optional): JSON
  {"add": [entry, ...], "remove": ["id", ...], "delay": seconds}
lets a test change the catalogue between two calls (models.refresh diff, models/changed).

Prints the bound port as the first line on stdout, then serves until killed or until its
stdin reaches EOF when --stdin-eof is given. Standard library only.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEST_KEY = "sk-0123456789abcdef-abc123-00004d79"

# The placeholder OmniRoute puts on entries without real metadata (must be read as "unknown").
PLACEHOLDER = {"max_output_tokens": 8192, "capabilities": {"tool_calling": True, "reasoning": True}}


def base_models():
    return [
        {"id": "cx/gpt-5.1-codex-mini", "object": "model", "created": 0, "owned_by": "codex",
         "context_length": 400000, "max_input_tokens": 272000, "max_output_tokens": 128000,
         "capabilities": {"vision": True, "tool_calling": True, "reasoning": True},
         "input_modalities": ["text", "image"], "output_modalities": ["text"]},
        {"id": "cc/claude-sonnet-4-5", "object": "model", "created": 0, "owned_by": "claude",
         "context_length": 200000, "max_output_tokens": 64000,
         "capabilities": {"vision": True, "tool_calling": True, "reasoning": True, "attachment": True},
         "input_modalities": ["text", "image"], "output_modalities": ["text"]},
        {"id": "ds/deepseek-chat", "object": "model", "created": 0, "owned_by": "deepseek",
         "context_length": 128000, "max_output_tokens": 8000,
         "capabilities": {"vision": False, "tool_calling": True, "reasoning": False},
         "input_modalities": ["text"], "output_modalities": ["text"]},
        # alias twin: the canonical copy names the alias in `parent`
        {"id": "kmca/kimi-k2.6", "object": "model", "created": 0, "owned_by": "kimi-coding-apikey",
         "context_length": 262144, "max_output_tokens": 32768,
         "capabilities": {"vision": False, "tool_calling": True, "reasoning": True}},
        {"id": "kimi-coding-apikey/kimi-k2.6", "object": "model", "created": 0,
         "owned_by": "kimi-coding-apikey", "parent": "kmca/kimi-k2.6",
         "context_length": 262144, "max_output_tokens": 32768,
         "capabilities": {"vision": False, "tool_calling": True, "reasoning": True}},
        # non-chat
        {"id": "openai/text-embedding-3-small", "object": "model", "created": 0, "owned_by": "openai",
         "type": "embedding", **PLACEHOLDER},
        # combos (placeholders only, as 3.7.9 lists them)
        {"id": "coding", "object": "model", "created": 0, "owned_by": "combo", "root": "coding",
         "parent": None, **PLACEHOLDER},
        {"id": "nested/outer", "object": "model", "created": 0, "owned_by": "combo",
         "root": "nested/outer", "parent": None, **PLACEHOLDER},
    ]


COMBOS = [
    {"name": "coding", "strategy": "priority", "models": [
        {"kind": "model", "model": "cx/gpt-5.1-codex-mini", "providerId": "cx", "weight": 0},
        {"kind": "model", "model": "cc/claude-sonnet-4-5", "providerId": "cc", "weight": 0},
    ]},
    {"name": "nested/outer", "strategy": "weighted", "models": [
        {"kind": "combo-ref", "comboName": "coding", "weight": 50},
        {"kind": "model", "model": "ds/deepseek-chat", "providerId": "ds", "weight": 40},
        {"kind": "model", "model": "ghost/not-a-model", "providerId": "ghost", "weight": 10},
    ]},
]

MODELSDEV = {
    "deepseek": {"id": "deepseek", "name": "DeepSeek", "models": {
        "deepseek-chat": {"id": "deepseek-chat", "name": "DeepSeek Chat", "tool_call": True,
                          "attachment": False, "reasoning": False, "temperature": True,
                          "cost": {"input": 0.27, "output": 1.1},
                          "limit": {"context": 128000, "output": 8000},
                          "modalities": {"input": ["text"], "output": ["text"]}}}},
}


class Handler(BaseHTTPRequestHandler):
    server_version = "mock-omniroute/0.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    def _send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _state(self):
        path = self.server.state_path
        if not path or not os.path.exists(path):
            return {}
        try:
            with open(path) as f:
                return json.load(f) or {}
        except (OSError, ValueError):
            return {}

    def do_GET(self):
        self.server.hits.append(self.path)
        path = self.path.split("?", 1)[0].rstrip("/")
        auth = self.headers.get("Authorization")
        if path == "/api.json":
            return self._send(200, MODELSDEV)
        if auth is not None and auth != "Bearer " + TEST_KEY:
            return self._send(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
        if auth is None and self.server.require_key:
            return self._send(401, {"error": {"message": "Missing API key"}})
        if path in ("/v1/models", "/v1", "/models"):
            st = self._state()
            if st.get("delay"):  # a slow gateway
                time.sleep(float(st["delay"]))
            removed = set(st.get("remove", []))
            data = [m for m in base_models() if m["id"] not in removed] + list(st.get("add", []))
            return self._send(200, {"object": "list", "data": data})
        if path == "/v1/combos":
            return self._send(200, {"object": "list", "data": COMBOS})
        if path == "/api/monitoring/health":  # public GET on OmniRoute; deepseek's breaker is open
            return self._send(200, {"status": "healthy", "lockouts": [], "providerBreakers": [
                {"provider": "deepseek", "state": "OPEN", "failureCount": 5, "retryAfterMs": 30000}]})
        return self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--state")
    ap.add_argument("--require-key", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--stdin-eof", action="store_true", help="exit when stdin closes")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state_path = args.state
    srv.require_key = args.require_key
    srv.verbose = args.verbose
    srv.hits = []
    print(srv.server_address[1], flush=True)
    if args.stdin_eof:
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        sys.stdin.read()
        srv.shutdown()
    else:
        srv.serve_forever()


if __name__ == "__main__":
    main()
