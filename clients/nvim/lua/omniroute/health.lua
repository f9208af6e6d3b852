-- :checkhealth omniroute  (0.7: require('health').report_*; 0.8+: vim.health.*)
local fmt = require('omniroute.format')

local M = {}
local esc = fmt.escape

local h = vim.health or {}
local start = h.start or h.report_start or require('health').report_start
local ok = h.ok or h.report_ok or require('health').report_ok
local warn = h.warn or h.report_warn or require('health').report_warn
local err = h.error or h.report_error or require('health').report_error
local info = h.info or h.report_info or require('health').report_info

function M.check()
  start('omniroute.nvim')
  local om = require('omniroute')
  local svc = om.get_service()
  local exe = svc.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    err(string.format("service '%s' not found", esc(exe)), {
      "build/install omniroute-rpc, then require('omniroute').setup{cmd = '/path/to/omniroute-rpc'}",
      'or set $OMNIROUTE_RPC_BIN',
    })
    return
  end
  ok('service: ' .. esc(vim.fn.exepath(exe)))
  local res, e = om.request_sync('auth.status', {}, 5000)
  if e then
    err('auth.status failed: ' .. esc(e.message))
    return
  end
  local init = svc.init_result
  if init and init.serverInfo then
    ok(string.format('%s %s, protocol %s', esc(init.serverInfo.name), esc(init.serverInfo.version), esc(init.protocolVersion)))
  end
  for _, w in ipairs(init and init.warnings or {}) do
    warn(esc(w))
  end
  info('gateway: ' .. esc(res.baseURL))
  if res.source == 'none' then
    warn('no API key (run :OmniRouteConnect, or set OMNIROUTE_API_KEY)')
  else
    ok(string.format('API key from %s%s', esc(res.source), res.keyHint and (' (' .. esc(res.keyHint) .. ')') or ''))
  end
  info('service log (stderr): ' .. esc(vim.lsp.get_log_path()))
end

return M
