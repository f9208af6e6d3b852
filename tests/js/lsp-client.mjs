// Drives omniroute-rpc with vscode-jsonrpc (LSP Content-Length framing): a client nobody on
// this project wrote. Usage: node lsp-client.mjs /path/to/omniroute-rpc
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import * as rpc from "vscode-jsonrpc/node.js";

const child = spawn(process.argv[2], [], { stdio: ["pipe", "pipe", "inherit"] });
const conn = rpc.createMessageConnection(
  new rpc.StreamMessageReader(child.stdout),
  new rpc.StreamMessageWriter(child.stdin),
);
conn.listen();

const init = await conn.sendRequest("initialize", { clientInfo: { name: "vscode-jsonrpc" }, options: {} });
assert.equal(init.serverInfo.name, "omniroute-rpc");
const doc = await conn.sendRequest("rpc.discover", {});
assert.equal(doc.openrpc, "1.3.2");
const status = await conn.sendRequest("auth.status", {});
assert.equal(status.source, "none");
await assert.rejects(conn.sendRequest("combos.resolve", {}), (e) => e.code === -32602);
await assert.rejects(conn.sendRequest("no.such.method", {}), (e) => e.code === -32601);
// Cancellation through vscode-jsonrpc's own $/cancelRequest support.
const source = new rpc.CancellationTokenSource();
const slow = conn.sendRequest("models.list", { refresh: true, options: { baseURL: "http://127.0.0.1:9/v1", offline: true } }, source.token);
source.cancel();
await slow.catch(() => {});
await conn.sendRequest("shutdown");
conn.sendNotification("exit");
const code = await new Promise((resolve) => child.on("exit", resolve));
assert.equal(code, 0);
console.log("OK");
process.exit(0);
