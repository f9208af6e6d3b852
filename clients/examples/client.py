#!/usr/bin/env python3
"""A minimal omniroute-rpc host in Python (standard library only): NDJSON over a pipe.

    client.py [--base-url URL] [--options JSON] [--combo NAME]

initialize -> models.list -> combos.resolve (each combo, or NAME) -> shutdown/exit.
Env: OMNIROUTE_RPC_BIN (default omniroute-rpc).
"""
import argparse, itertools, json, os, subprocess, sys


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.kind = (error.get("data") or {}).get("kind")


class Client:
    def __init__(self, cmd):
        # stderr is the service's log: leave it on ours
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ids = itertools.count(1)
        self.notifications = []

    def send(self, msg):
        self.proc.stdin.write(json.dumps(msg) + "\n")  # one object per line = NDJSON framing
        self.proc.stdin.flush()

    def request(self, method, params=None):
        rid = next(self.ids)
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}})
        for line in self.proc.stdout:  # one request at a time, so the next reply with our id is ours
            msg = json.loads(line)
            if "id" not in msg:  # a notification, e.g. models/changed
                self.notifications.append(msg)
            elif msg["id"] == rid:
                if "error" in msg:
                    raise RpcError(msg["error"])
                return msg["result"]
        raise RpcError({"message": "omniroute-rpc exited before answering %s" % method})

    def close(self):
        try:
            self.request("shutdown")
            self.send({"jsonrpc": "2.0", "method": "exit"})
        except (RpcError, OSError):
            pass
        finally:
            self.proc.stdin.close()  # EOF alone would also make it exit
            self.proc.wait(timeout=10)


def flag(v):
    return "?" if v is None else str(v).lower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url")
    ap.add_argument("--options", default="{}", help="JSON object of options")
    ap.add_argument("--combo")
    args = ap.parse_args()
    options = json.loads(args.options)
    if args.base_url:
        options["baseURL"] = args.base_url

    client = Client([os.environ.get("OMNIROUTE_RPC_BIN", "omniroute-rpc")])
    try:
        init = client.request("initialize", {"clientInfo": {"name": "client.py"}, "options": options})
        print("server %s %s" % (init["serverInfo"]["name"], init["serverInfo"]["version"]))
        for w in init["warnings"]:
            print("warning: " + w, file=sys.stderr)

        listing = client.request("models.list", {"refresh": True})
        print("%d models from %s (source %s)" % (len(listing["models"]), listing["baseURL"], listing["source"]))
        for m in listing["models"]:
            print("  %-40s ctx %-8s out %-8s vision %-5s tools %s" % (
                m["id"], m.get("contextWindow", "?"), m.get("maxTokens", "?"),
                flag(m.get("supportsVision")), flag(m.get("supportsTools"))))

        names = [args.combo] if args.combo else [m["id"] for m in listing["models"] if m.get("combo")]
        status = 0
        for name in names:
            res = client.request("combos.resolve", {"name": name})
            if not res["found"]:
                print("combo %s: not found" % name)
                status = 1
                continue
            caps = res["capabilities"]
            print("combo %s (%s)" % (name, res.get("strategy", "?")))
            for mem in res["members"]:
                via = " via " + " > ".join(mem["path"][1:]) if len(mem["path"]) > 1 else ""
                print("  %s%s%s" % (mem["id"], via, "" if mem["resolved"] else " (unresolved)"))
            print("  context %s, output %s, vision %s, tools %s, unknown: %s" % (
                caps.get("contextWindow", "?"), caps.get("maxTokens", "?"), flag(caps.get("supportsVision")),
                flag(caps.get("supportsTools")), ", ".join(caps["unknown"]) or "-"))
        return status
    except RpcError as e:
        print("error: %s [%s]" % (e, e.kind or e.code), file=sys.stderr)
        return 2
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
