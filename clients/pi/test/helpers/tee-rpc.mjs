#!/usr/bin/env node
// Test double in front of the REAL omniroute-rpc: runs OMNIROUTE_TEE_TARGET (the binary) with
// the same environment and stdio, and appends every line the host writes to OMNIROUTE_TEE_LOG,
// so a test can see the frames a host sends (e.g. usage.record notifications, which the service
// answers with nothing). stdout and stderr are the service's own; EOF and the exit code pass through.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const target = process.env.OMNIROUTE_TEE_TARGET;
const log = process.env.OMNIROUTE_TEE_LOG;
if (!target || !log) {
  process.stderr.write('tee-rpc: OMNIROUTE_TEE_TARGET and OMNIROUTE_TEE_LOG are required\n');
  process.exit(2);
}
const child = spawn(target, process.argv.slice(2), { stdio: ['pipe', 'inherit', 'inherit'] });
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    appendFileSync(log, buf.slice(0, nl + 1));
    buf = buf.slice(nl + 1);
  }
  child.stdin.write(chunk);
});
process.stdin.on('end', () => child.stdin.end());
child.stdin.on('error', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
