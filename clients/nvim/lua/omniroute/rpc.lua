-- One omniroute-rpc process, driven through Neovim's own JSON-RPC client
-- (vim.lsp.rpc.start: LSP Content-Length framing).
--
-- Handles the API differences between Neovim versions:
--   0.7 – 0.9 : vim.lsp.rpc.start(cmd, cmd_args, dispatchers, extra_spawn_params)
--               spawn failure -> returns nil after its own vim.notify; client has pid/handle
--               (0.8+ also is_closing/terminate)
--   0.10+     : vim.lsp.rpc.start(cmd_list, dispatchers, extra_spawn_params)
--               spawn failure -> raises; client has is_closing/terminate; processes are
--               spawned detached by default (the service still exits on stdin EOF)
-- In every version, an error reply with code -32800 (RequestCancelled) is swallowed by
-- vim.lsp.rpc and the callback never runs: Service:cancel() answers the caller itself.

local M = {}

local HAS_010 = vim.fn.has('nvim-0.10') == 1

--- Empty Lua tables encode as JSON arrays ([]); every empty table we send is meant as an
--- object, so turn it into vim.empty_dict() (recursively; non-empty arrays are kept).
local function to_wire(v)
  if type(v) ~= 'table' or v == vim.NIL then
    return v
  end
  if getmetatable(v) ~= nil then
    return v -- vim.empty_dict() and friends
  end
  if next(v) == nil then
    return vim.empty_dict()
  end
  local out = {}
  for k, x in pairs(v) do
    out[k] = to_wire(x)
  end
  return out
end
M.to_wire = to_wire

local Service = {}
Service.__index = Service

--- @param spec table {cmd = string[], env = table?, options = table?, client_info = table?,
---                    on_notification = fun(method, params)?, on_warnings = fun(list, where)?,
---                    on_unexpected_exit = fun(code, signal)?}
function M.new(spec)
  local self = setmetatable({}, Service)
  self.cmd = spec.cmd
  self.env = spec.env
  self.options = spec.options
  self.client_info = spec.client_info
  self.on_notification = spec.on_notification
  self.on_warnings = spec.on_warnings
  self.on_unexpected_exit = spec.on_unexpected_exit
  self.rpc = nil
  self.ready = false
  self.queue = {}
  self.pending = {}
  self.exited = false
  self.stopping = false
  self.exit_code = nil
  self.exit_signal = nil
  self.init_result = nil
  self.init_error = nil
  self.pid = nil
  return self
end

function Service:is_running()
  return self.rpc ~= nil and not self.exited
end

local function missing_message(exe)
  return string.format(
    "cannot start the service: '%s' is not an executable file or not on PATH. "
      .. "Build/install omniroute-rpc, then set require('omniroute').setup{cmd = '/path/to/omniroute-rpc'} "
      .. 'or the environment variable OMNIROUTE_RPC_BIN.',
    exe
  )
end

--- Starts the process and sends `initialize`. Returns true, or nil + error table.
function Service:start()
  if self:is_running() then
    return true
  end
  local exe = self.cmd[1]
  if type(exe) ~= 'string' or exe == '' or vim.fn.executable(exe) ~= 1 then
    return nil, { code = -1, message = missing_message(tostring(exe)), data = { kind = 'service_missing' } }
  end

  -- a fresh generation: callbacks of an earlier process must not touch this one
  self.exited, self.stopping, self.ready = false, false, false
  self.exit_code, self.exit_signal = nil, nil
  local generation = {}
  self.generation = generation

  local dispatchers = {
    notification = function(method, params)
      if self.generation == generation and self.on_notification then
        self.on_notification(method, params)
      end
    end,
    server_request = function(method, _)
      -- the service never sends requests; answer like an LSP client would
      return nil, vim.lsp.rpc.rpc_response_error(-32601, 'client does not handle ' .. tostring(method))
    end,
    on_exit = function(code, signal)
      -- not scheduled by vim.lsp.rpc in every version: leave the fast-event context first
      vim.schedule(function()
        if self.generation == generation then
          self:_on_exit(code, signal)
        end
      end)
    end,
    on_error = function(kind, err)
      -- framing/decoding problems on our side of the pipe: keep them visible in the LSP log
      pcall(function()
        require('vim.lsp.log').error('omniroute rpc client error', kind, err)
      end)
    end,
  }

  local extra = nil
  if self.env and next(self.env) ~= nil then
    local env = {}
    for k, v in pairs(self.env) do
      env[k] = tostring(v)
    end
    extra = { env = env }
  end

  local ok, client
  if HAS_010 then
    ok, client = pcall(vim.lsp.rpc.start, self.cmd, dispatchers, extra)
  else
    ok, client = pcall(vim.lsp.rpc.start, exe, vim.list_slice(self.cmd, 2), dispatchers, extra)
  end
  if not ok or not client then
    return nil, {
      code = -1,
      message = 'cannot start the service ' .. vim.inspect(self.cmd) .. ': ' .. tostring(client or 'spawn failed'),
      data = { kind = 'service_missing' },
    }
  end
  self.rpc = client
  self.pid = client.pid -- nil on 0.10+ (vim.system hides it)

  local params = { clientInfo = self.client_info, options = self.options or {} }
  local sent = client.request('initialize', to_wire(params), function(err, result)
    if self.generation ~= generation then
      return
    end
    self.init_error = err
    self.init_result = result
    if result and self.on_warnings and type(result.warnings) == 'table' and #result.warnings > 0 then
      self.on_warnings(result.warnings, 'initialize')
    end
    if err and self.on_warnings then
      self.on_warnings({ 'initialize failed: ' .. tostring(err.message) }, 'initialize')
    end
    -- methods work without initialize too, so flush the queue either way
    self.ready = true
    local queue = self.queue
    self.queue = {}
    for _, q in ipairs(queue) do
      self:_send(q[1], q[2], q[3])
    end
  end)
  if not sent then
    return nil, { code = -1, message = 'cannot write to the service', data = { kind = 'service_missing' } }
  end
  return true
end

function Service:_send(method, params, cb)
  local entry = { method = method, cb = cb }
  local id
  local sent, msg_id = self.rpc.request(method, to_wire(params), function(err, result)
    if self.pending[id] ~= entry then
      return -- already answered (cancelled, or failed when the process exited)
    end
    self.pending[id] = nil
    cb(err, result)
  end)
  if not sent then
    vim.schedule(function()
      cb({ code = -1, message = 'the service is not running', data = { kind = 'service_exited' } }, nil)
    end)
    return nil
  end
  id = msg_id
  self.pending[id] = entry
  return id
end

--- Sends a request; cb(err, result) runs on the main loop. Returns the request id when it was
--- written at once (nil while `initialize` is still in flight or on failure).
function Service:request(method, params, cb)
  local ok, err = self:start()
  if not ok then
    vim.schedule(function()
      cb(err, nil)
    end)
    return nil
  end
  if not self.ready then
    table.insert(self.queue, { method, params, cb })
    return nil
  end
  return self:_send(method, params, cb)
end

function Service:notify(method, params)
  if self:is_running() then
    return self.rpc.notify(method, to_wire(params))
  end
  return false
end

--- Cancels an in-flight request: tells the service ($/cancelRequest) and answers the caller
--- with a -32800 error (vim.lsp.rpc would drop the service's own -32800 reply).
function Service:cancel(id)
  local entry = id and self.pending[id]
  if not entry then
    return false
  end
  self.pending[id] = nil
  self:notify('$/cancelRequest', { id = id })
  entry.cb({ code = -32800, message = 'request cancelled', data = { kind = 'cancelled' } }, nil)
  return true
end

--- Blocking request (vim.wait). Returns result, err.
function Service:request_sync(method, params, timeout_ms)
  local done, e, r = false, nil, nil
  local id = self:request(method, params, function(err, result)
    done, e, r = true, err, result
  end)
  local finished = vim.wait(timeout_ms or 10000, function()
    return done
  end, 10)
  if not finished then
    if id then
      self:cancel(id)
    end
    return nil, { code = -32800, message = method .. ': no answer within ' .. (timeout_ms or 10000) .. ' ms', data = { kind = 'timeout' } }
  end
  return r, e
end

function Service:_on_exit(code, signal)
  self.exited = true
  self.exit_code, self.exit_signal = code, signal
  self.rpc = nil
  self.ready = false
  local err = {
    code = -1,
    message = string.format('omniroute-rpc exited (code %s, signal %s) before answering', tostring(code), tostring(signal)),
    data = { kind = 'service_exited' },
  }
  local pending, queue = self.pending, self.queue
  self.pending, self.queue = {}, {}
  for _, entry in pairs(pending) do
    pcall(entry.cb, err, nil)
  end
  for _, q in ipairs(queue) do
    pcall(q[3], err, nil)
  end
  if not self.stopping and self.on_unexpected_exit then
    self.on_unexpected_exit(code, signal)
  end
end

--- Clean stop: shutdown request, exit notification, then (if still alive) SIGTERM.
--- Blocks at most about 2 * timeout_ms.
function Service:stop(timeout_ms)
  timeout_ms = timeout_ms or 1000
  if not self:is_running() then
    return true
  end
  self.stopping = true
  local client = self.rpc
  local answered = false
  local ok = pcall(client.request, 'shutdown', nil, function()
    answered = true
  end)
  if ok then
    vim.wait(timeout_ms, function()
      return answered or self.exited
    end, 10)
  end
  if not self.exited then
    pcall(client.notify, 'exit', nil)
    vim.wait(timeout_ms, function()
      return self.exited
    end, 10)
  end
  if not self.exited then
    if client.terminate then
      pcall(client.terminate)
    elseif client.handle then
      pcall(client.handle.kill, client.handle, 15)
    end
  end
  return self.exited
end

M.Service = Service
return M
