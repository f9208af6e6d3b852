-- Pure text formatting for the picker, the combo buffer and messages (no Neovim state).
-- Every string from the gateway or the service goes through M.escape before it is shown.
local M = {}

local C0 = '[%z\1-\31\127]' -- ASCII control characters (C0 and DEL)
local C0_KEEP_NL = '[%z\1-\9\11-\31\127]'
local C1 = '\194([\128-\159])' -- U+0080..U+009F in UTF-8 (C1 controls, e.g. U+009B CSI)

--- A string made safe for the screen, as the service's escape_controls: ASCII control
--- characters (ESC, BEL, CR, DEL ...) become `\xNN`, C1 controls `\u{NN}`, so a model id can
--- never repaint or retitle a terminal nor break a buffer line. Other text is unchanged.
--- keep_newlines keeps `\n` (for messages whose own line breaks are wanted). nil -> 'nil'.
function M.escape(s, keep_newlines)
  s = tostring(s)
  s = s:gsub(keep_newlines and C0_KEEP_NL or C0, function(c)
    return string.format('\\x%02x', c:byte())
  end)
  s = s:gsub(C1, function(c)
    return string.format('\\u{%x}', c:byte())
  end)
  return s
end

local function present(v)
  return v ~= nil and v ~= vim.NIL
end

--- 400000 -> "400k", 262144 -> "262.1k", 8000 -> "8k", 512 -> "512", nil -> "?"
function M.tokens(n)
  if not present(n) or type(n) ~= 'number' then
    return '?'
  end
  if n >= 1000000 and n % 100000 == 0 then
    return string.format('%gM', n / 1000000)
  end
  if n >= 1000 then
    return string.format('%gk', math.floor(n / 100 + 0.5) / 10)
  end
  return tostring(n)
end

--- true -> "yes", false -> "no", unknown -> "?"
function M.flag(v)
  if v == true then
    return 'yes'
  elseif v == false then
    return 'no'
  end
  return '?'
end

function M.price(p)
  if not present(p) then
    return '?'
  end
  if type(p) == 'table' then -- {min, max}
    if not present(p.min) and not present(p.max) then
      return '?'
    end
    if p.min == p.max or not present(p.max) then
      return M.price(p.min)
    end
    return M.price(p.min) .. ' - ' .. M.price(p.max)
  end
  return string.format('%g', p)
end

--- The health column: `ok`, `degraded`, `down`, `unknown`, or `?` when not read.
--- Gateway text never reaches the screen raw (control characters escaped).
function M.health(h)
  if type(h) ~= 'table' or type(h.state) ~= 'string' then
    return '?'
  end
  return M.escape(h.state)
end

--- One picker line: id, context, output, vision, tools, health (+ kind / combo tags).
--- width pads the id column.
function M.model_line(m, width)
  local id = M.escape(m.id)
  local pad = width and math.max(width - vim.fn.strdisplaywidth(id), 0) or 0
  local tags = {}
  if present(m.combo) then
    table.insert(tags, '[combo]')
  end
  if present(m.kind) and m.kind ~= 'chat' then
    table.insert(tags, '[' .. M.escape(m.kind) .. ']')
  end
  local line = string.format(
    '%s%s  ctx %-7s out %-7s vision %-3s  tools %-3s  health %-8s',
    id,
    string.rep(' ', pad),
    M.tokens(m.contextWindow),
    M.tokens(m.maxTokens),
    M.flag(m.supportsVision),
    M.flag(m.supportsTools),
    M.health(m.health)
  )
  if #tags > 0 then
    line = line .. '  ' .. table.concat(tags, ' ')
  end
  return (line:gsub('%s+$', ''))
end

--- The picker prompt: how many shown, of how many matches, hidden by filters, the query.
function M.models_prompt(shown, total, hidden, query, source)
  local parts = { tostring(shown) }
  if total and total > shown then
    parts[1] = string.format('%d of %d', shown, total)
  end
  if hidden and hidden > 0 then
    table.insert(parts, string.format('%d hidden', hidden))
  end
  table.insert(parts, M.escape(source))
  local what = (query and query ~= '') and string.format("OmniRoute models matching '%s'", M.escape(query))
    or 'OmniRoute models'
  return string.format('%s (%s):', what, table.concat(parts, ', '))
end

--- The width of the id column: the widest id as model_line shows it (escaped).
function M.id_width(models)
  local w = 0
  for _, m in ipairs(models or {}) do
    w = math.max(w, vim.fn.strdisplaywidth(M.escape(m.id)))
  end
  return w
end

local function list(t)
  if not present(t) or type(t) ~= 'table' or #t == 0 then
    return nil
  end
  local out = {}
  for _, x in ipairs(t) do
    table.insert(out, M.escape(x))
  end
  return out
end

--- "+2 added (a, b), -1 removed (c), ~0 changed" ; "no changes" when empty
function M.diff(d)
  if not present(d) or type(d) ~= 'table' then
    return 'no diff reported'
  end
  local parts = {}
  local function part(sign, name, ids)
    ids = list(ids) or {}
    local s = string.format('%s%d %s', sign, #ids, name)
    if #ids > 0 then
      local shown = vim.list_slice(ids, 1, 5)
      s = s .. ' (' .. table.concat(shown, ', ') .. (#ids > 5 and ', ...' or '') .. ')'
    end
    table.insert(parts, s)
    return #ids
  end
  local n = part('+', 'added', d.added) + part('-', 'removed', d.removed) + part('~', 'changed', d.changed)
  if n == 0 then
    return 'no changes'
  end
  return table.concat(parts, ', ')
end

--- Lines of the :OmniRouteCombo scratch buffer, from a combos.resolve result.
function M.combo_lines(res)
  local L = {}
  local function add(s)
    table.insert(L, s)
  end
  local header = 'Combo ' .. M.escape(res.name)
  local meta = {}
  if present(res.strategy) then
    table.insert(meta, 'strategy ' .. M.escape(res.strategy))
  end
  if present(res.source) then
    table.insert(meta, 'source ' .. M.escape(res.source))
  end
  if #meta > 0 then
    header = header .. '  (' .. table.concat(meta, ', ') .. ')'
  end
  add(header)
  add('')

  local members = present(res.members) and res.members or {}
  local resolved, unresolved = 0, 0
  local width = 0
  for _, mem in ipairs(members) do
    width = math.max(width, vim.fn.strdisplaywidth(M.escape(mem.id)))
    if mem.resolved then
      resolved = resolved + 1
    else
      unresolved = unresolved + 1
    end
  end
  add(string.format('Members: %d resolved, %d unresolved', resolved, unresolved))
  for _, mem in ipairs(members) do
    local id = M.escape(mem.id)
    local line = '  ' .. id .. string.rep(' ', width - vim.fn.strdisplaywidth(id))
    if mem.resolved and present(mem.model) then
      local m = mem.model
      line = line
        .. string.format(
          '  ctx %-7s out %-7s vision %-3s  tools %-3s',
          M.tokens(m.contextWindow),
          M.tokens(m.maxTokens),
          M.flag(m.supportsVision),
          M.flag(m.supportsTools)
        )
    elseif mem.resolved then
      line = line .. '  (resolved)'
    else
      line = line .. '  UNRESOLVED' .. (present(mem.reason) and (': ' .. M.escape(mem.reason)) or '')
    end
    local extra = {}
    local path = list(mem.path)
    if path and #path > 1 then
      table.insert(extra, 'via ' .. table.concat(vim.list_slice(path, 2), ' > '))
    end
    if present(mem.weight) then
      table.insert(extra, 'weight ' .. M.escape(mem.weight))
    end
    if #extra > 0 then
      line = line .. '  (' .. table.concat(extra, ', ') .. ')'
    end
    add((line:gsub('%s+$', '')))
  end

  local cycles = present(res.cycles) and res.cycles or {}
  if #cycles > 0 then
    add('')
    add('Cycles (not followed):')
    for _, c in ipairs(cycles) do
      add('  ' .. table.concat(list(c) or {}, ' -> '))
    end
  end

  local c = present(res.capabilities) and res.capabilities or {}
  add('')
  add('Capabilities (lowest common of the known members):')
  local rows = {
    { 'context window', M.tokens(c.contextWindow) .. (present(c.contextWindow) and (' (' .. M.escape(c.contextWindow) .. ')') or '') },
    { 'max output', M.tokens(c.maxTokens) .. (present(c.maxTokens) and (' (' .. M.escape(c.maxTokens) .. ')') or '') },
  }
  if present(c.gatewayContextWindow) then
    table.insert(rows, { 'gateway context', M.escape(c.gatewayContextWindow) })
  end
  for _, f in ipairs({
    { 'vision', 'supportsVision' },
    { 'tools', 'supportsTools' },
    { 'reasoning', 'supportsReasoning' },
    { 'attachment', 'supportsAttachment' },
    { 'temperature', 'supportsTemperature' },
  }) do
    table.insert(rows, { f[1], M.flag(c[f[2]]) })
  end
  local pricing = present(c.pricing) and c.pricing or {}
  table.insert(rows, { 'price input', M.price(pricing.input) .. ' USD/1M' })
  table.insert(rows, { 'price output', M.price(pricing.output) .. ' USD/1M' })
  table.insert(rows, { 'from members', table.concat(list(c.members) or { '-' }, ', ') })
  table.insert(rows, { 'unknown', table.concat(list(c.unknown) or { '-' }, ', ') })
  for _, r in ipairs(rows) do
    add(string.format('  %-15s %s', r[1], r[2]))
  end

  local warnings = {}
  for _, src in ipairs({ res.warnings, c.warnings }) do
    for _, w in ipairs(list(src) or {}) do
      if not vim.tbl_contains(warnings, w) then
        table.insert(warnings, w)
      end
    end
  end
  if #warnings > 0 then
    add('')
    add('Warnings:')
    for _, w in ipairs(warnings) do
      add('  - ' .. w)
    end
  end
  return L
end

return M
