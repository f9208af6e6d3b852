-- Messages of omniroute.nvim: every vim.notify of the plugin goes through here, so no gateway
-- string reaches the screen with raw control characters (format.escape on each line).
local fmt = require('omniroute.format')

local M = {}

--- vim.notify with the plugin's prefix and title. Control characters are shown escaped; the
--- message's own line breaks are kept (gateway strings are escaped whole by the callers).
function M.notify(msg, level)
  vim.notify(fmt.escape('OmniRoute: ' .. tostring(msg), true), level or vim.log.levels.INFO, { title = 'OmniRoute' })
end

local HINTS = {
  auth_rejected = 'run :OmniRouteConnect with a valid key',
  gateway_unreachable = 'is OmniRoute running? check baseURL in setup{}',
  gateway_timeout = 'the gateway did not answer in time (requestTimeoutMs)',
  credentials_file = 'check the OpenCode auth.json file',
}

--- Shows an error answer of the service (or of the client side) as a clear message.
function M.report_error(what, err)
  local msg, kind
  if type(err) == 'table' then
    msg = err.message
    if type(err.data) == 'table' then
      kind = err.data.kind
    end
  end
  msg = msg or tostring(err)
  local text = string.format('%s failed: %s', what, fmt.escape(msg))
  if kind and kind ~= 'service_missing' then
    text = text .. ' [' .. fmt.escape(kind) .. ']'
  end
  if kind and HINTS[kind] then
    text = text .. ' (' .. HINTS[kind] .. ')'
  end
  M.notify(text, vim.log.levels.ERROR)
end

--- Shows the `warnings` of a result (one line each, escaped whole); nothing when there are none.
function M.report_warnings(list, where)
  if type(list) ~= 'table' or #list == 0 then
    return
  end
  local lines = {}
  for _, w in ipairs(list) do
    table.insert(lines, '  - ' .. fmt.escape(w))
  end
  M.notify((where and (where .. ' warnings:\n') or 'warnings:\n') .. table.concat(lines, '\n'), vim.log.levels.WARN)
end

return M
