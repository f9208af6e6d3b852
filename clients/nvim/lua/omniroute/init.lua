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

local function notify(msg, level)
  vim.notify('OmniRoute: ' .. msg, level or vim.log.levels.INFO, { title = 'OmniRoute' })
end
M._notify = notify

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
  notify(text, vim.log.levels.ERROR)
end

local function report_warnings(list, where)
  if type(list) ~= 'table' or #list == 0 then
    return
  end
  local lines = {}
  for _, w in ipairs(list) do
    table.insert(lines, '  - ' .. tostring(w))
  end
  notify((where and (where .. ' warnings:\n') or 'warnings:\n') .. table.concat(lines, '\n'), vim.log.levels.WARN)
end

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

local refresh_picker -- defined with :OmniRouteModels below
local HEALTH_WAIT_MS = 2000 -- the picker never waits longer than this for its health column

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
        refresh_picker(res)
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

-- :OmniRouteConnect ---------------------------------------------------------------------

function M.connect(cb)
  vim.ui.input({ prompt = 'OmniRoute API key: ' }, function(key)
    if key == nil or vim.trim(key) == '' then
      notify('connect cancelled: no key given', vim.log.levels.WARN)
      return
    end
    local params = { apiKey = vim.trim(key), persist = M.config.persist ~= false }
    if M.config.options.baseURL then
      params.baseURL = M.config.options.baseURL
    end
    M.request('auth.connect', params, function(err, res)
      if err then
        M.report_error('connect', err)
      else
        M.last_models = nil
        local where
        if res.stored then
          where = 'key saved to ' .. tostring(res.authFile)
        else
          where = 'key kept for this session only'
        end
        notify(
          string.format(
            'connected to %s with %s: %s models; %s',
            tostring(res.baseURL),
            tostring(res.keyHint),
            tostring(res.modelCount),
            where
          )
        )
      end
      if cb then
        cb(err, res)
      end
    end)
  end)
end

-- :OmniRouteModels ----------------------------------------------------------------------

local function choose(model)
  if M.config.on_select then
    local ok, e = pcall(M.config.on_select, model)
    if not ok then
      notify('on_select failed: ' .. tostring(e), vim.log.levels.ERROR)
    end
    return
  end
  local reg = M.config.register or '"'
  vim.fn.setreg(reg, model.id)
  notify(string.format("yanked '%s' into register %s", model.id, reg))
end

--- Whether an error is the -32602 answer of a service that does not know the `startup` param.
local function rejects_startup(err)
  if type(err) ~= 'table' or err.code ~= -32602 then
    return false
  end
  if type(err.data) == 'table' and err.data.field == 'startup' then
    return true
  end
  return type(err.message) == 'string' and err.message:find('startup', 1, true) ~= nil
end
M._rejects_startup = rejects_startup

--- models.list for the picker. The first list of a service (no explicit refresh) is sent with
--- `startup = true`, so a slow gateway does not hold it: the service answers from its snapshot
--- and refreshes in the background (then `models/changed`). A service that predates the param
--- answers -32602; the list is then asked again without it (and never with it again).
function M.list_models(params, cb)
  local svc = M.get_service()
  if svc.startup_list and params.refresh == nil and not M.startup_unsupported then
    svc.startup_list = false
    local first = vim.deepcopy(params)
    first.startup = true
    return M.request('models.list', first, function(err, res)
      if rejects_startup(err) then
        M.startup_unsupported = true
        M.request('models.list', params, cb)
      else
        cb(err, res)
      end
    end)
  end
  svc.startup_list = false
  return M.request('models.list', params, cb)
end

M._picker = nil -- the :OmniRouteModels picker waiting for a choice: { cb, models, prompt, shown }

--- Shows a picker token in vim.ui.select; a choice counts only while it is the current one.
local function present(token)
  token.shown = true
  local width = fmt.id_width(token.models)
  vim.ui.select(token.models, {
    prompt = token.prompt,
    kind = 'omniroute_model',
    format_item = function(m)
      return fmt.model_line(m, width)
    end,
  }, function(choice)
    if M._picker ~= token then
      return -- replaced by a picker with the newer list
    end
    M._picker = nil
    if choice then
      choose(choice)
    end
    if token.cb then
      token.cb(nil, choice)
    end
  end)
end

--- Makes `models` the current picker (not shown yet: see `present`).
local function new_picker(models, prompt, cb)
  local token = { cb = cb, models = models, prompt = prompt, shown = false }
  M._picker = token
  return token
end

--- A picker still waiting for a choice when the list changes is shown again with the new list
--- (one still waiting for its health column is shown first, so the order stays old → new).
refresh_picker = function(res)
  local open = M._picker
  if open and #(res.models or {}) > 0 then
    if not open.shown then
      present(open)
    end
    local hidden = type(res.hidden) == 'table' and tonumber(res.hidden.count) or 0
    present(new_picker(res.models, fmt.models_prompt(#res.models, nil, hidden, '', res.source), open.cb))
  end
end

--- Parses the arguments of :OmniRouteModels into search filters and a query.
---   tools | vision | free            toolsOnly / visionOnly / freeOnly
---   provider=cx,gemini               providersAllow
---   hide=PAT,PAT  visible=PAT,PAT    hiddenModels / visibleModels (ids, globs, short forms)
---   all                              no filter at all (unfiltered)
---   anything else                    words of the search query
--- Returns (filters, query) or (nil, error message).
function M.parse_model_args(args)
  local filters, words = {}, {}
  local flags = { tools = 'toolsOnly', vision = 'visionOnly', free = 'freeOnly' }
  local lists = { provider = 'providersAllow', providers = 'providersAllow', hide = 'hiddenModels', visible = 'visibleModels' }
  for _, tok in ipairs(vim.split(args or '', '%s+', { trimempty = true })) do
    local k, v = tok:match('^(%w+)=(.*)$')
    if k then
      if not lists[k] then
        return nil, string.format("unknown filter '%s=' (provider=, hide=, visible=)", k)
      end
      local items = vim.split(v, ',', { trimempty = true })
      if #items == 0 then
        return nil, string.format("'%s=' needs a value", k)
      end
      local key = lists[k]
      filters[key] = filters[key] or {}
      vim.list_extend(filters[key], items)
    elseif flags[tok] then
      filters[flags[tok]] = true
    elseif tok == 'all' then
      filters.unfiltered = true
    else
      table.insert(words, tok)
    end
  end
  return filters, table.concat(words, ' ')
end

--- Completion of :OmniRouteModels arguments.
function M.complete_model_args(arglead)
  local out = {}
  for _, w in ipairs({ 'tools', 'vision', 'free', 'all', 'provider=', 'hide=', 'visible=' }) do
    if w:sub(1, #arglead) == arglead then
      table.insert(out, w)
    end
  end
  return out
end

--- Picks a model in a vim.ui.select picker. Without arguments the catalogue as models.list
--- shows it (the setup{} view options applied); with a query or filters, the ranked results
--- of models.search. opts.refresh = true forces a fresh list; opts.args = the command line.
function M.models(opts, cb)
  opts = opts or {}
  local filters, query = M.parse_model_args(opts.args)
  if not filters then
    notify(query, vim.log.levels.ERROR)
    if cb then
      cb(query)
    end
    return
  end
  local params, method = { refresh = opts.refresh }, 'models.list'
  if query ~= '' or next(filters) ~= nil then
    method = 'models.search'
    params = vim.tbl_extend('force', params, filters, { query = query, limit = opts.limit or 500 })
  end
  local call = method == 'models.list' and M.list_models or function(p, f)
    return M.request(method, p, f)
  end
  call(params, function(err, res)
    if err then
      M.report_error(method, err)
      if cb then
        cb(err)
      end
      return
    end
    report_warnings(res.warnings, method)
    local models, total = res.models, nil
    if method == 'models.search' then
      models, total = {}, res.total
      for _, r in ipairs(res.results or {}) do
        table.insert(models, r.model)
      end
    else
      M.last_models = res
    end
    models = models or {}
    local hidden = type(res.hidden) == 'table' and tonumber(res.hidden.count) or 0
    if #models == 0 then
      local why = method == 'models.search' and string.format("no model matches '%s'", query)
        or ('the gateway lists no models (source ' .. tostring(res.source) .. ')')
      if hidden > 0 then
        why = why .. string.format(' (%d hidden by filters)', hidden)
      end
      notify(why, vim.log.levels.WARN)
      if cb then
        cb(nil, nil)
      end
      return
    end
    -- The health column: one models.health call (cached by the service for healthTtl); a
    -- slow or absent monitoring endpoint leaves it at `?` after HEALTH_WAIT_MS.
    local token = new_picker(models, fmt.models_prompt(#models, total, hidden, query, res.source), cb)
    local function show()
      if not token.shown and M._picker == token then
        present(token)
      end
    end
    vim.defer_fn(show, HEALTH_WAIT_MS)
    M.request('models.health', {}, function(_, hres)
      local health = type(hres) == 'table' and type(hres.models) == 'table' and hres.models or {}
      if not token.shown then
        for _, m in ipairs(models) do
          m.health = health[m.id]
        end
      end
      show()
    end)
  end)
end

-- :OmniRouteCombo -----------------------------------------------------------------------

function M.combo(name, cb)
  if not name or vim.trim(name) == '' then
    notify('usage: :OmniRouteCombo {name}', vim.log.levels.ERROR)
    return
  end
  name = vim.trim(name)
  M.request('combos.resolve', { name = name }, function(err, res)
    if err then
      M.report_error('combos.resolve', err)
      if cb then
        cb(err)
      end
      return
    end
    if not res.found then
      notify(string.format("no combo named '%s' (source %s)", name, tostring(res.source)), vim.log.levels.ERROR)
      if cb then
        cb(nil, res)
      end
      return
    end
    local buf = require('omniroute.buffer').scratch(name, fmt.combo_lines(res))
    if cb then
      cb(nil, res, buf)
    end
  end)
end

-- :OmniRouteUsage ----------------------------------------------------------------------

--- Requests, tokens and cost per requested model and served member since `since` (default 7d).
function M.usage(since, cb)
  since = (since and vim.trim(since) ~= '') and vim.trim(since) or '7d'
  M.request('usage.summary', { since = since, groupBy = 'member' }, function(err, res)
    if err then
      M.report_error('usage.summary', err)
      if cb then
        cb(err)
      end
      return
    end
    local buf = require('omniroute.buffer').scratch(since, require('omniroute.usage').lines(res, since), 'usage')
    if cb then
      cb(nil, res, buf)
    end
  end)
end

--- Completion of combo names, from the last model list (fetched once, cache only, if needed).
function M.complete_combo(arglead)
  local res = M.last_models
  if not res then
    local r = M.request_sync('models.list', { refresh = false }, 3000)
    if r then
      M.last_models = r
      res = r
    end
  end
  local out = {}
  for _, m in ipairs(res and res.models or {}) do
    if m.combo ~= nil and m.combo ~= vim.NIL and vim.startswith(m.id, arglead or '') then
      table.insert(out, m.id)
    end
  end
  table.sort(out)
  return out
end

-- :OmniRouteRefresh ---------------------------------------------------------------------

function M.refresh(cb)
  M.request('models.refresh', {}, function(err, res)
    if err then
      M.report_error('models.refresh', err)
    else
      M.last_models = res
      report_warnings(res.warnings, 'models.refresh')
      notify(
        string.format(
          'refreshed: %d models (source %s); %s',
          #(res.models or {}),
          tostring(res.source),
          fmt.diff(res.diff)
        )
      )
    end
    if cb then
      cb(err, res)
    end
  end)
end

-- :OmniRouteClearCache ------------------------------------------------------------------

function M.clear_cache(scope, cb)
  local params = {}
  if scope and scope ~= '' then
    params.scope = scope
  end
  M.request('cache.clear', params, function(err, res)
    if err then
      M.report_error('cache.clear', err)
    else
      M.last_models = nil
      local cleared = res and res.cleared or {}
      notify('cache cleared: ' .. (#cleared > 0 and table.concat(cleared, ', ') or 'nothing'))
    end
    if cb then
      cb(err, res)
    end
  end)
end

-- :OmniRouteStatus ----------------------------------------------------------------------

function M.status(cb)
  M.request('auth.status', {}, function(err, res)
    if err then
      M.report_error('auth.status', err)
    else
      local svc = M.service
      local info = svc and svc.init_result and svc.init_result.serverInfo
      notify(
        string.format(
          'gateway %s; key from %s%s; auth file %s%s',
          tostring(res.baseURL),
          tostring(res.source),
          (res.keyHint and res.keyHint ~= vim.NIL) and (' (' .. res.keyHint .. ')') or '',
          tostring(res.authFile),
          info and string.format('; service %s %s', tostring(info.name), tostring(info.version)) or ''
        )
      )
    end
    if cb then
      cb(err, res)
    end
  end)
end

return M
