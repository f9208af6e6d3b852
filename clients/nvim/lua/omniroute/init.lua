-- omniroute.nvim: the OmniRoute model catalogue in Neovim, through the omniroute-rpc service.
--
--   require('omniroute').setup{
--     -- options of the OpenCode plugin (provider.omniroute.options), passed to the service
--     baseURL = 'http://localhost:20128/v1', apiMode = 'chat', modelCacheTtl = 300000,
--     refreshOnList = true, modelsDev = { enabled = true }, modelMetadata = { ... },
--     -- editor-side options
--     cmd = 'omniroute-rpc',          -- or { '/path/omniroute-rpc', ... }; default $OMNIROUTE_RPC_BIN or PATH
--     env = { OMNIROUTE_LOG = 'warn' },
--     on_select = function(model) end, -- :OmniRouteModels choice; default: yank the id
--     register = '"',                  -- register for the yank
--     persist = true,                  -- :OmniRouteConnect stores the key (auth.json)
--     notify_changes = true,           -- tell about background catalogue changes
--   }
local rpc = require('omniroute.rpc')
local fmt = require('omniroute.format')
local msg = require('omniroute.notify')

local M = {}

M.version = '0.1.0'

-- keys of setup{} that belong to the editor side; every other key is a service option
local EDITOR_KEYS = {
  cmd = true,
  env = true,
  on_select = true,
  register = true,
  persist = true,
  notify_changes = true,
  options = true,
}

local defaults = {
  cmd = nil,
  env = nil,
  on_select = nil,
  register = '"',
  persist = true,
  notify_changes = true,
}

M.config = vim.deepcopy(defaults)
M.config.options = {}

M.service = nil -- the rpc.Service, created on first use
M.last_models = nil -- last models.list / models.refresh result (for completion)
M.last_change = nil -- params of the last models/changed notification

local notify = msg.notify
M._notify = notify

--- Shows an error answer of the service (or of the client side) as a clear message.
M.report_error = msg.report_error

local report_warnings = msg.report_warnings
local picker -- the :OmniRouteModels functions, bound to M at the end of this file

local function resolve_cmd(cmd)
  if type(cmd) == 'string' and cmd ~= '' then
    return { cmd }
  end
  if type(cmd) == 'table' and #cmd > 0 then
    return vim.deepcopy(cmd)
  end
  local env = vim.env.OMNIROUTE_RPC_BIN
  if env and env ~= '' then
    return { env }
  end
  return { 'omniroute-rpc' }
end

local function on_notification(method, params)
  if method == 'models/changed' then
    M.last_change = params
    M.last_models = nil
    if M.config.notify_changes then
      local diff = type(params) == 'table' and params.diff or nil
      notify('model list changed in the background: ' .. fmt.diff(diff))
    end
    -- re-read the new list from the service's cache (no network wait): completion and an
    -- open :OmniRouteModels picker get it; the autocmd fires once it is there. Only from the
    -- running service: a service being stopped (setup, stop) must not start another one.
    local svc = M.service
    if not svc then
      pcall(vim.cmd, 'doautocmd <nomodeline> User OmniRouteModelsChanged')
      return
    end
    svc:request('models.list', { refresh = false }, function(err, res)
      if not err and res and M.service == svc then
        M.last_models = res
        picker.refresh(res)
      end
      pcall(vim.cmd, 'doautocmd <nomodeline> User OmniRouteModelsChanged')
    end)
  end
end

--- The service for the current config (started lazily by the first request).
function M.get_service()
  if M.service then
    return M.service
  end
  local svc
  svc = rpc.new({
    cmd = resolve_cmd(M.config.cmd),
    env = M.config.env,
    options = M.config.options,
    client_info = { name = 'omniroute.nvim', version = M.version },
    on_notification = on_notification,
    on_warnings = report_warnings,
    on_unexpected_exit = function(code, signal)
      notify(
        string.format(
          'omniroute-rpc exited unexpectedly (code %s, signal %s); its stderr is in %s',
          tostring(code),
          tostring(signal),
          vim.lsp.get_log_path()
        ),
        vim.log.levels.ERROR
      )
      if M.service == svc then
        M.service = nil
      end
    end,
  })
  -- the first model list of a service is a start-up call: the service answers from its
  -- snapshot when the gateway is slow (see M.list_models)
  svc.startup_list = true
  M.service = svc
  return svc
end

--- Low-level: any method of the service. cb(err, result) on the main loop.
function M.request(method, params, cb)
  return M.get_service():request(method, params, cb or function() end)
end

--- Low-level, blocking (vim.wait). Returns result, err.
function M.request_sync(method, params, timeout_ms)
  return M.get_service():request_sync(method, params, timeout_ms)
end

--- Stops the service cleanly (shutdown + exit). Blocking, ~1 s at most.
function M.stop(timeout_ms)
  local svc = M.service
  M.service = nil
  if svc then
    return svc:stop(timeout_ms)
  end
  return true
end

--- Sets the editor options and the service options (see the header); restarts a running service.
function M.setup(opts)
  opts = opts or {}
  local config = vim.deepcopy(defaults)
  local options = {}
  if type(opts.options) == 'table' then -- an OpenCode provider.omniroute.options block, verbatim
    options = vim.deepcopy(opts.options)
  end
  for k, v in pairs(opts) do
    if EDITOR_KEYS[k] then
      if k ~= 'options' then
        config[k] = v
      end
    else
      options[k] = v
    end
  end
  config.options = options
  -- functions are not deep-copied reliably in 0.7; keep the originals
  config.on_select = opts.on_select
  M._picker = nil
  -- a running service keeps its options for the session: restart it with the new ones
  if M.service then
    M.stop(500)
  end
  M.config = config
  M.last_models = nil
  return M
end

-- The commands: :OmniRouteModels in picker.lua, the others in commands.lua; both are bound to
-- this table, so the functions below stay reachable from require('omniroute').

picker = require('omniroute.picker').new(M)
M._picker = nil -- the :OmniRouteModels picker waiting for a choice: { cb, models, prompt, shown }
M._rejects_startup = picker.rejects_startup
M.list_models = picker.list_models
M.parse_model_args = picker.parse_model_args
M.complete_model_args = picker.complete_model_args
M.models = picker.models

local commands = require('omniroute.commands').new(M)
M.connect = commands.connect
M.combo = commands.combo
M.complete_combo = commands.complete_combo
M.usage = commands.usage
M.refresh = commands.refresh
M.clear_cache = commands.clear_cache
M.status = commands.status

return M
