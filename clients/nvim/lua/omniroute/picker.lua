-- :OmniRouteModels: argument parsing, models.list (start-up first list) or models.search, the
-- health column, the vim.ui.select picker and its refresh on models/changed.
--
-- Bound to the public module by init.lua (`require('omniroute.picker').new(om)`): the state
-- stays on `om` (`om._picker`, `om.last_models`, `om.startup_unsupported`) and requests go
-- through `om.request`, so users and tests see one table. This module never requires init.lua.
local fmt = require('omniroute.format')
local msg = require('omniroute.notify')

local notify = msg.notify

local HEALTH_WAIT_MS = 2000 -- the picker never waits longer than this for its health column

local P = {}

--- Whether an error is the -32602 answer of a service that does not know the `startup` param.
function P.rejects_startup(err)
  if type(err) ~= 'table' or err.code ~= -32602 then
    return false
  end
  if type(err.data) == 'table' and err.data.field == 'startup' then
    return true
  end
  return type(err.message) == 'string' and err.message:find('startup', 1, true) ~= nil
end

--- Parses the arguments of :OmniRouteModels into search filters and a query.
---   tools | vision | free            toolsOnly / visionOnly / freeOnly
---   provider=cx,gemini               providersAllow
---   hide=PAT,PAT  visible=PAT,PAT    hiddenModels / visibleModels (ids, globs, short forms)
---   all                              no filter at all (unfiltered)
---   anything else                    words of the search query
--- Returns (filters, query) or (nil, error message).
function P.parse_model_args(args)
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
function P.complete_model_args(arglead)
  local out = {}
  for _, w in ipairs({ 'tools', 'vision', 'free', 'all', 'provider=', 'hide=', 'visible=' }) do
    if w:sub(1, #arglead) == arglead then
      table.insert(out, w)
    end
  end
  return out
end

--- The picker functions bound to the public module `om` (see the header).
function P.new(om)
  local B = {
    rejects_startup = P.rejects_startup,
    parse_model_args = P.parse_model_args,
    complete_model_args = P.complete_model_args,
  }

  local function choose(model)
    if om.config.on_select then
      local ok, e = pcall(om.config.on_select, model)
      if not ok then
        notify('on_select failed: ' .. fmt.escape(e), vim.log.levels.ERROR)
      end
      return
    end
    local reg = om.config.register or '"'
    vim.fn.setreg(reg, model.id) -- the real id, intact: it is what the user pastes
    notify(string.format("yanked '%s' into register %s", fmt.escape(model.id), reg))
  end

  --- models.list for the picker. The first list of a service (no explicit refresh) is sent with
  --- `startup = true`, so a slow gateway does not hold it: the service answers from its snapshot
  --- and refreshes in the background (then `models/changed`). A service that predates the param
  --- answers -32602; the list is then asked again without it (and never with it again).
  function B.list_models(params, cb)
    local svc = om.get_service()
    if svc.startup_list and params.refresh == nil and not om.startup_unsupported then
      svc.startup_list = false
      local first = vim.deepcopy(params)
      first.startup = true
      return om.request('models.list', first, function(err, res)
        if P.rejects_startup(err) then
          om.startup_unsupported = true
          om.request('models.list', params, cb)
        else
          cb(err, res)
        end
      end)
    end
    svc.startup_list = false
    return om.request('models.list', params, cb)
  end

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
      if om._picker ~= token then
        return -- replaced by a picker with the newer list
      end
      om._picker = nil
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
    om._picker = token
    return token
  end

  --- A picker still waiting for a choice when the list changes is shown again with the new list
  --- (one still waiting for its health column is shown first, so the order stays old → new).
  function B.refresh(res)
    local open = om._picker
    if open and #(res.models or {}) > 0 then
      if not open.shown then
        present(open)
      end
      local hidden = type(res.hidden) == 'table' and tonumber(res.hidden.count) or 0
      present(new_picker(res.models, fmt.models_prompt(#res.models, nil, hidden, '', res.source), open.cb))
    end
  end

  --- Picks a model in a vim.ui.select picker. Without arguments the catalogue as models.list
  --- shows it (the setup{} view options applied); with a query or filters, the ranked results
  --- of models.search. opts.refresh = true forces a fresh list; opts.args = the command line.
  function B.models(opts, cb)
    opts = opts or {}
    local filters, query = om.parse_model_args(opts.args)
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
    local call = method == 'models.list' and om.list_models or function(p, f)
      return om.request(method, p, f)
    end
    call(params, function(err, res)
      if err then
        om.report_error(method, err)
        if cb then
          cb(err)
        end
        return
      end
      msg.report_warnings(res.warnings, method)
      local models, total = res.models, nil
      if method == 'models.search' then
        models, total = {}, res.total
        for _, r in ipairs(res.results or {}) do
          table.insert(models, r.model)
        end
      else
        om.last_models = res
      end
      models = models or {}
      local hidden = type(res.hidden) == 'table' and tonumber(res.hidden.count) or 0
      if #models == 0 then
        local why = method == 'models.search' and string.format("no model matches '%s'", fmt.escape(query))
          or ('the gateway lists no models (source ' .. fmt.escape(res.source) .. ')')
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
        if not token.shown and om._picker == token then
          present(token)
        end
      end
      vim.defer_fn(show, HEALTH_WAIT_MS)
      om.request('models.health', {}, function(_, hres)
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

  return B
end

return P
