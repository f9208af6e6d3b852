-- :OmniRouteUsage: which model really answered and what it cost, from the service's
-- usage.summary (issue 16), shown in a scratch buffer. Gateway strings are escaped.
local fmt = require('omniroute.format')

local M = {}

--- A gateway string for the buffer: control characters escaped (format.escape), nil -> '-'.
function M.clean(s)
  return fmt.escape(s == nil and '-' or s)
end

local function cost(c)
  c = tonumber(c) or 0
  if c == 0 then
    return '0'
  elseif c < 0.01 then
    return string.format('%.6f', c)
  end
  return string.format('%.4f', c)
end

local function num(v)
  if type(v) == 'number' then
    return string.format('%d', v)
  end
  return '-'
end

--- Lines of the buffer from a usage.summary result grouped by member.
function M.lines(res, since)
  local L = {}
  local rows = type(res.rows) == 'table' and res.rows or {}
  table.insert(L, string.format('OmniRoute usage since %s', M.clean(since or res.since or 'the start')))
  table.insert(L, '')
  local cells = { { 'MODEL', 'SERVED BY', 'REQ', 'ERR', 'TOK IN', 'TOK OUT', 'COST USD', 'AVG MS' } }
  local function add(r, first, second)
    table.insert(cells, {
      first,
      second,
      num(r.requests),
      num(r.errors),
      num(r.tokensIn),
      num(r.tokensOut),
      cost(r.costUsd),
      num(r.avgLatencyMs),
    })
  end
  for _, r in ipairs(rows) do
    add(r, M.clean(r.model), r.servedModel ~= nil and r.servedModel ~= vim.NIL and M.clean(r.servedModel) or '(no answer)')
  end
  add(type(res.totals) == 'table' and res.totals or {}, 'TOTAL', '')
  local widths = {}
  for _, row in ipairs(cells) do
    for i, c in ipairs(row) do
      widths[i] = math.max(widths[i] or 0, vim.fn.strdisplaywidth(c))
    end
  end
  for _, row in ipairs(cells) do
    local parts = {}
    for i, c in ipairs(row) do
      local pad = string.rep(' ', widths[i] - vim.fn.strdisplaywidth(c))
      parts[i] = i <= 2 and (c .. pad) or (pad .. c)
    end
    table.insert(L, (table.concat(parts, '  '):gsub('%s+$', '')))
  end
  if #rows == 0 then
    table.insert(L, '')
    table.insert(L, 'No requests recorded in this window.')
  end
  table.insert(L, '')
  table.insert(L, 'Ledger: ' .. M.clean(res.ledger))
  for _, w in ipairs(type(res.warnings) == 'table' and res.warnings or {}) do
    table.insert(L, 'note: ' .. M.clean(w))
  end
  return L
end

return M
