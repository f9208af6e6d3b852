-- Messages of omniroute.nvim: every vim.notify of the plugin goes through here.
local M = {}

--- vim.notify with the plugin's prefix and title.
function M.notify(msg, level)
  vim.notify('OmniRoute: ' .. msg, level or vim.log.levels.INFO, { title = 'OmniRoute' })
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
  local text = string.format('%s failed: %s', what, msg)
  if kind and kind ~= 'service_missing' then
    text = text .. ' [' .. tostring(kind) .. ']'
  end
  if kind and HINTS[kind] then
    text = text .. ' (' .. HINTS[kind] .. ')'
  end
  M.notify(text, vim.log.levels.ERROR)
end

--- Shows the `warnings` of a result (one line each); nothing when there are none.
function M.report_warnings(list, where)
  if type(list) ~= 'table' or #list == 0 then
    return
  end
  local lines = {}
  for _, w in ipairs(list) do
    table.insert(lines, '  - ' .. tostring(w))
  end
  M.notify((where and (where .. ' warnings:\n') or 'warnings:\n') .. table.concat(lines, '\n'), vim.log.levels.WARN)
end

return M
