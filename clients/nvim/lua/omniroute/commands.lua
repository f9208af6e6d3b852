-- The actions behind :OmniRouteConnect, :OmniRouteCombo, :OmniRouteUsage, :OmniRouteRefresh,
-- :OmniRouteClearCache and :OmniRouteStatus (and combo-name completion).
--
-- Bound to the public module by init.lua (`require('omniroute.commands').new(om)`), like
-- picker.lua: requests go through `om.request`, state stays on `om`. Never requires init.lua.
local fmt = require('omniroute.format')
local msg = require('omniroute.notify')

local notify = msg.notify
local esc = fmt.escape

local C = {}

--- The command functions bound to the public module `om`.
function C.new(om)
  local B = {}

  -- :OmniRouteConnect -------------------------------------------------------------------

  function B.connect(cb)
    vim.ui.input({ prompt = 'OmniRoute API key: ' }, function(key)
      if key == nil or vim.trim(key) == '' then
        notify('connect cancelled: no key given', vim.log.levels.WARN)
        return
      end
      local params = { apiKey = vim.trim(key), persist = om.config.persist ~= false }
      if om.config.options.baseURL then
        params.baseURL = om.config.options.baseURL
      end
      om.request('auth.connect', params, function(err, res)
        if err then
          om.report_error('connect', err)
        else
          om.last_models = nil
          local where
          if res.stored then
            where = 'key saved to ' .. esc(res.authFile)
          else
            where = 'key kept for this session only'
          end
          notify(
            string.format(
              'connected to %s with %s: %s models; %s',
              esc(res.baseURL),
              esc(res.keyHint),
              esc(res.modelCount),
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

  -- :OmniRouteCombo ---------------------------------------------------------------------

  function B.combo(name, cb)
    if not name or vim.trim(name) == '' then
      notify('usage: :OmniRouteCombo {name}', vim.log.levels.ERROR)
      return
    end
    name = vim.trim(name)
    om.request('combos.resolve', { name = name }, function(err, res)
      if err then
        om.report_error('combos.resolve', err)
        if cb then
          cb(err)
        end
        return
      end
      if not res.found then
        notify(string.format("no combo named '%s' (source %s)", esc(name), esc(res.source)), vim.log.levels.ERROR)
        if cb then
          cb(nil, res)
        end
        return
      end
      local buf = require('omniroute.buffer').scratch(esc(name), fmt.combo_lines(res))
      if cb then
        cb(nil, res, buf)
      end
    end)
  end

  --- Completion of combo names, from the last model list (fetched once, cache only, if needed).
  --- The ids stay intact: they are sent back as the combo name.
  function B.complete_combo(arglead)
    local res = om.last_models
    if not res then
      local r = om.request_sync('models.list', { refresh = false }, 3000)
      if r then
        om.last_models = r
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

  -- :OmniRouteUsage ---------------------------------------------------------------------

  --- Requests, tokens and cost per requested model and served member since `since` (default 7d).
  function B.usage(since, cb)
    since = (since and vim.trim(since) ~= '') and vim.trim(since) or '7d'
    om.request('usage.summary', { since = since, groupBy = 'member' }, function(err, res)
      if err then
        om.report_error('usage.summary', err)
        if cb then
          cb(err)
        end
        return
      end
      local buf = require('omniroute.buffer').scratch(esc(since), require('omniroute.usage').lines(res, since), 'usage')
      if cb then
        cb(nil, res, buf)
      end
    end)
  end

  -- :OmniRouteRefresh -------------------------------------------------------------------

  function B.refresh(cb)
    om.request('models.refresh', {}, function(err, res)
      if err then
        om.report_error('models.refresh', err)
      else
        om.last_models = res
        msg.report_warnings(res.warnings, 'models.refresh')
        notify(
          string.format('refreshed: %d models (source %s); %s', #(res.models or {}), esc(res.source), fmt.diff(res.diff))
        )
      end
      if cb then
        cb(err, res)
      end
    end)
  end

  -- :OmniRouteClearCache ----------------------------------------------------------------

  function B.clear_cache(scope, cb)
    local params = {}
    if scope and scope ~= '' then
      params.scope = scope
    end
    om.request('cache.clear', params, function(err, res)
      if err then
        om.report_error('cache.clear', err)
      else
        om.last_models = nil
        local cleared = {}
        for _, s in ipairs(res and res.cleared or {}) do
          table.insert(cleared, esc(s))
        end
        notify('cache cleared: ' .. (#cleared > 0 and table.concat(cleared, ', ') or 'nothing'))
      end
      if cb then
        cb(err, res)
      end
    end)
  end

  -- :OmniRouteStatus --------------------------------------------------------------------

  function B.status(cb)
    om.request('auth.status', {}, function(err, res)
      if err then
        om.report_error('auth.status', err)
      else
        local svc = om.service
        local info = svc and svc.init_result and svc.init_result.serverInfo
        notify(
          string.format(
            'gateway %s; key from %s%s; auth file %s%s',
            esc(res.baseURL),
            esc(res.source),
            (res.keyHint and res.keyHint ~= vim.NIL) and (' (' .. esc(res.keyHint) .. ')') or '',
            esc(res.authFile),
            info and string.format('; service %s %s', esc(info.name), esc(info.version)) or ''
          )
        )
      end
      if cb then
        cb(err, res)
      end
    end)
  end

  return B
end

return C
