-- omniroute.nvim test suite: runs inside `nvim --headless -u NONE -i NONE -n -c 'luafile test/run.lua'`
-- against the real omniroute-rpc and a loopback mock gateway. Started by test/run.sh, which sets:
--   OMNIROUTE_TEST_BIN      the omniroute-rpc binary
--   OMNIROUTE_TEST_WRAPPER  a shell wrapper that records the service pid, then execs the binary
--   OMNIROUTE_TEST_GATEWAY  http://127.0.0.1:PORT/v1 of the mock gateway
--   OMNIROUTE_TEST_DEAD     a base URL on a loopback port nobody listens on
--   OMNIROUTE_TEST_STATE    the mock's state file ({"add":[...],"remove":[...]})
--   OMNIROUTE_TEST_KEY      the key the mock accepts
--   OMNIROUTE_TEST_SUMMARY  file that gets "<passed> <failed>"
--   OMNIROUTE_TEST_TMP      scratch directory (inside the hermetic HOME)
--   OMNIROUTE_TEST_FILTER   optional Lua pattern: run only matching test names
local E = vim.env
local BIN = assert(E.OMNIROUTE_TEST_BIN, 'OMNIROUTE_TEST_BIN not set (run test/run.sh)')
local GW = assert(E.OMNIROUTE_TEST_GATEWAY)
local DEAD = assert(E.OMNIROUTE_TEST_DEAD)
local STATE = assert(E.OMNIROUTE_TEST_STATE)
local KEY = assert(E.OMNIROUTE_TEST_KEY)
local TMP = assert(E.OMNIROUTE_TEST_TMP)
local FILTER = E.OMNIROUTE_TEST_FILTER
local uv = vim.uv or vim.loop
local L = vim.log.levels

local src = debug.getinfo(1, 'S').source:sub(2)
local ROOT = vim.fn.fnamemodify(src, ':p:h:h')
vim.opt.rtp:prepend(ROOT)
vim.cmd('runtime plugin/omniroute.lua')
local om = require('omniroute')

local passed, failed = 0, 0
local out = io.stdout
local function say(s)
  out:write(s .. '\n')
  out:flush()
end
say('# ' .. vim.split(vim.fn.execute('version'), '\n', { trimempty = true })[1] .. ', omniroute-rpc ' .. BIN)

-- notifications ------------------------------------------------------------------------
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = tostring(msg), level = level or L.INFO })
end

local function dump_notes()
  local t = {}
  for _, n in ipairs(notes) do
    table.insert(t, string.format('[%s] %s', tostring(n.level), n.msg))
  end
  return table.concat(t, '\n      ')
end

-- assertions ---------------------------------------------------------------------------
local function fail(msg)
  error(msg .. '\n      notes: ' .. dump_notes(), 2)
end
local function eq(got, want, what)
  if got ~= want then
    fail(string.format('%s: expected %s, got %s', what or 'value', vim.inspect(want), vim.inspect(got)))
  end
end
local function truthy(v, what)
  if not v then
    fail((what or 'condition') .. ' is false')
  end
end
local function has(hay, needle, what)
  if type(hay) ~= 'string' or not hay:find(needle, 1, true) then
    fail(string.format('%s: %s does not contain %s', what or 'text', vim.inspect(hay), vim.inspect(needle)))
  end
end
local function hasnt(hay, needle, what)
  if type(hay) == 'string' and hay:find(needle, 1, true) then
    fail(string.format('%s: %s must not contain %s', what or 'text', vim.inspect(hay), vim.inspect(needle)))
  end
end
local function wait_for(pred, what, timeout)
  if not vim.wait(timeout or 15000, pred, 10) then
    fail('timed out waiting for ' .. what)
  end
end
--- waits for a notification containing `text` (and of `level` when given); returns its text
local function wait_note(text, level, timeout)
  local found
  wait_for(function()
    for _, n in ipairs(notes) do
      if n.msg:find(text, 1, true) and (level == nil or n.level == level) then
        found = n
        return true
      end
    end
    return false
  end, string.format('a notification containing %q (level %s)', text, tostring(level)), timeout)
  return found.msg
end
local function line_with(lines, needle)
  for _, l in ipairs(lines) do
    if l:find(needle, 1, true) then
      return l
    end
  end
  fail(string.format('no line contains %q in:\n      %s', needle, table.concat(lines, '\n      ')))
end

-- stubs and fixtures -------------------------------------------------------------------
local input_prompts = {}
local function stub_input(value)
  vim.ui.input = function(opts, on_confirm)
    table.insert(input_prompts, opts and opts.prompt)
    on_confirm(value)
  end
end

local picker -- {items, lines, prompt}
local function stub_select(pick)
  picker = nil
  vim.ui.select = function(items, opts, on_choice)
    local lines = {}
    for i, it in ipairs(items) do
      lines[i] = opts.format_item and opts.format_item(it) or tostring(it)
    end
    picker = { items = items, lines = lines, prompt = opts.prompt }
    local idx = pick and pick(items, lines) or nil
    on_choice(idx and items[idx] or nil, idx)
  end
end
local function pick_id(id)
  return function(items)
    for i, it in ipairs(items) do
      if it.id == id then
        return i
      end
    end
  end
end

local function set_state(t)
  vim.fn.writefile({ vim.json.encode(t or vim.empty_dict()) }, STATE)
end

local function fresh(extra)
  local opts = { cmd = BIN, baseURL = GW, modelsDev = { enabled = false } }
  for k, v in pairs(extra or {}) do
    opts[k] = v
  end
  om.setup(opts)
end

local function auth_file()
  return E.XDG_DATA_HOME .. '/opencode/auth.json'
end

local function read_json(path)
  local f = io.open(path, 'r')
  if not f then
    return nil
  end
  local s = f:read('*a')
  f:close()
  return vim.json.decode(s)
end

local function test(name, fn)
  if FILTER and FILTER ~= '' and not name:find(FILTER) then
    return
  end
  notes = {}
  set_state(nil)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    say('ok - ' .. name)
  else
    failed = failed + 1
    say('not ok - ' .. name)
    say('      ' .. tostring(err):gsub('\n', '\n      '))
  end
end

-- tests --------------------------------------------------------------------------------

test('plugin defines the commands', function()
  for _, c in ipairs({ 'OmniRouteConnect', 'OmniRouteModels', 'OmniRouteCombo', 'OmniRouteRefresh', 'OmniRouteClearCache', 'OmniRouteStatus', 'OmniRouteUsage' }) do
    eq(vim.fn.exists(':' .. c), 2, ':' .. c)
  end
end)

test('initialize over LSP framing (vim.lsp.rpc) and rpc.discover', function()
  fresh()
  local r, err = om.request_sync('rpc.discover', nil)
  eq(err, nil, 'rpc.discover error')
  truthy(type(r) == 'table' and type(r.openrpc) == 'string' and r.openrpc:sub(1, 3) == '1.3', 'openrpc 1.3 document')
  truthy(type(r.methods) == 'table' and #r.methods > 0, 'discover lists methods')
  local init = om.service.init_result
  truthy(init, 'initialize answered')
  eq(init.protocolVersion, '1', 'protocolVersion')
  eq(init.serverInfo and init.serverInfo.name, 'omniroute-rpc', 'serverInfo.name')
  eq(om.service.init_error, nil, 'initialize error')
end)

test('setup{} options reach the service: an invalid apiMode is reported as a warning', function()
  fresh({ apiMode = 'bogus' })
  local _, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status error')
  local msg = wait_note('apiMode', L.WARN)
  has(msg, 'initialize warnings', 'warning notification')
end)

test('an OpenCode options block can be passed verbatim as setup{options=...}', function()
  om.setup({ cmd = BIN, options = { baseURL = DEAD, modelsDev = { enabled = false } }, baseURL = GW })
  local r, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status error')
  -- top-level keys win over the block
  has(r.baseURL, GW:gsub('/v1$', ''), 'baseURL')
end)

test(':OmniRouteConnect with a rejected key reports auth_rejected and stores nothing', function()
  fresh()
  stub_input('sk-bad0000000000000-000000-0000dead')
  vim.cmd('OmniRouteConnect')
  local msg = wait_note('connect failed', L.ERROR)
  has(msg, 'auth_rejected', 'error kind shown')
  hasnt(msg, 'sk-bad0000000000000-000000-0000dead', 'key must not be shown')
  eq(vim.fn.filereadable(auth_file()), 0, 'auth.json written')
  has(input_prompts[#input_prompts], 'API key', 'prompt')
end)

test(':OmniRouteConnect cancelled (no key) sends nothing', function()
  fresh()
  stub_input(nil)
  vim.cmd('OmniRouteConnect')
  wait_note('cancelled', L.WARN)
  eq(om.service, nil, 'service started for a cancelled connect')
end)

test(':OmniRouteConnect against an unreachable gateway reports gateway_unreachable with the URL', function()
  fresh({ baseURL = DEAD })
  stub_input(KEY)
  vim.cmd('OmniRouteConnect')
  local msg = wait_note('connect failed', L.ERROR)
  has(msg, 'gateway_unreachable', 'error kind')
  has(msg, DEAD:match('127%.0%.0%.1:%d+'), 'names the URL')
  hasnt(msg, KEY, 'key must not be shown')
end)

test(':OmniRouteConnect stores a good key (auth.json, 0600) and reports hint and count', function()
  fresh()
  stub_input(KEY)
  vim.cmd('OmniRouteConnect')
  local msg = wait_note('connected to', L.INFO)
  has(msg, KEY:sub(-4), 'key hint')
  hasnt(msg, KEY, 'full key must not be shown')
  truthy(msg:find('%d+ models'), 'model count in ' .. msg)
  has(msg, 'auth.json', 'where it was stored')
  local data = read_json(auth_file())
  truthy(data and data.omniroute, 'auth.json has an omniroute entry')
  eq(data.omniroute.key, KEY, 'stored key')
  local st = uv.fs_stat(auth_file())
  eq(st.mode % 512, 384, 'auth.json mode 0600 (decimal 384)')
end)

test(':OmniRouteModels shows id, context, output, vision, tools and yanks the choice', function()
  fresh()
  stub_select(pick_id('cx/gpt-5.1-codex-mini'))
  vim.fn.setreg('"', 'before')
  vim.cmd('OmniRouteModels')
  wait_for(function()
    return picker ~= nil
  end, 'the picker')
  has(picker.prompt, 'OmniRoute models', 'prompt')
  local cx = line_with(picker.lines, 'cx/gpt-5.1-codex-mini')
  has(cx, 'ctx 400k', 'context')
  has(cx, 'out 128k', 'output')
  has(cx, 'vision yes', 'vision')
  has(cx, 'tools yes', 'tools')
  local ds = line_with(picker.lines, 'ds/deepseek-chat')
  has(ds, 'ctx 128k', 'deepseek context')
  has(ds, 'out 8k', 'deepseek output')
  has(ds, 'vision no', 'deepseek vision')
  has(ds, 'health down', 'deepseek health (open breaker)')
  has(cx, 'health ok', 'codex health')
  has(line_with(picker.lines, 'openai/text-embedding-3-small'), '[embedding]', 'non-chat tag')
  has(line_with(picker.lines, 'nested/outer'), '[combo]', 'combo tag')
  wait_note('yanked', L.INFO)
  eq(vim.fn.getreg('"'), 'cx/gpt-5.1-codex-mini', 'unnamed register')
end)

test(':OmniRouteModels uses setup{register=...}', function()
  fresh({ register = 'a' })
  stub_select(pick_id('cc/claude-sonnet-4-5'))
  vim.cmd('OmniRouteModels')
  wait_note('yanked', L.INFO)
  eq(vim.fn.getreg('a'), 'cc/claude-sonnet-4-5', 'register a')
end)

test(':OmniRouteModels hands the model to setup{on_select=...}', function()
  local got
  fresh({
    on_select = function(m)
      got = m
    end,
  })
  stub_select(pick_id('cx/gpt-5.1-codex-mini'))
  vim.cmd('OmniRouteModels')
  wait_for(function()
    return got ~= nil
  end, 'on_select')
  eq(got.id, 'cx/gpt-5.1-codex-mini', 'model id')
  eq(got.contextWindow, 400000, 'contextWindow')
  eq(got.maxTokens, 128000, 'maxTokens')
  eq(got.supportsVision, true, 'supportsVision')
  eq(got.kind, 'chat', 'kind')
end)

test(':OmniRouteModels cancelled picker yanks nothing', function()
  fresh()
  stub_select(nil)
  vim.fn.setreg('"', 'untouched')
  vim.cmd('OmniRouteModels')
  wait_for(function()
    return picker ~= nil
  end, 'the picker')
  vim.wait(100)
  eq(vim.fn.getreg('"'), 'untouched', 'register')
end)

local function picked_ids()
  local ids = {}
  for _, it in ipairs(picker.items) do
    table.insert(ids, it.id)
  end
  return ids
end
local function open_picker(cmdline)
  stub_select(nil)
  vim.cmd(cmdline)
  wait_for(function()
    return picker ~= nil
  end, 'the picker for ' .. cmdline)
  return picked_ids()
end

test(':OmniRouteModels {query} ranks with models.search (exact id first, then prefix, word, fuzzy)', function()
  fresh()
  local ids = open_picker('OmniRouteModels deepseek-chat')
  eq(ids[1], 'ds/deepseek-chat', 'the exact id after its prefix comes first')
  has(picker.prompt, "matching 'deepseek-chat'", 'prompt names the query')
  ids = open_picker('OmniRouteModels kimi')
  eq(#ids, 2, 'both kimi twins')
  ids = open_picker('OmniRouteModels clsonnet')
  eq(ids[1], 'cc/claude-sonnet-4-5', 'fuzzy')
end)

test(':OmniRouteModels filters: tools vision, provider=, hide=, all', function()
  fresh()
  local ids = open_picker('OmniRouteModels tools vision')
  local set = {}
  for _, id in ipairs(ids) do
    set[id] = true
  end
  truthy(set['cx/gpt-5.1-codex-mini'] and set['cc/claude-sonnet-4-5'], 'the vision+tools models')
  truthy(not set['ds/deepseek-chat'] and not set['kmca/kimi-k2.6'], 'no model without vision')
  has(picker.prompt, 'hidden', 'prompt counts the hidden models')
  ids = open_picker('OmniRouteModels provider=ds')
  set = {}
  for _, id in ipairs(ids) do
    set[id] = true
  end
  truthy(set['ds/deepseek-chat'] and set['coding'], 'the provider and the combos')
  truthy(not set['cx/gpt-5.1-codex-mini'], 'other providers left out')
  notes = {}
  stub_select(nil)
  vim.cmd('OmniRouteModels gpt hide=cx/*')
  has(wait_note("no model matches 'gpt'", L.WARN), 'hidden by filters', 'says the filters hid something')
  ids = open_picker('OmniRouteModels all hide=cx/*')
  truthy(vim.tbl_contains(ids, 'cx/gpt-5.1-codex-mini'), '`all` ignores every filter')
end)

test(':OmniRouteModels rejects an unknown filter and completes the filter names', function()
  fresh()
  vim.cmd('OmniRouteModels colour=red')
  wait_note("unknown filter 'colour='", L.ERROR)
  eq(table.concat(om.complete_model_args('pr'), ','), 'provider=', 'completion')
  eq(#om.complete_model_args(''), 7, 'every filter word')
end)

test('setup{} view options shape the plain :OmniRouteModels list (visibleModels allowlist, short form)', function()
  fresh({ visibleModels = { 'deepseek-chat' } })
  local ids = open_picker('OmniRouteModels')
  truthy(vim.tbl_contains(ids, 'ds/deepseek-chat'), 'the listed model (short form)')
  truthy(vim.tbl_contains(ids, 'nested/outer'), 'a combo with a listed member')
  truthy(not vim.tbl_contains(ids, 'cx/gpt-5.1-codex-mini'), 'the rest hidden')
  has(picker.prompt, 'hidden', 'prompt counts them')
end)

--- the value of a row of the "Capabilities" section of the combo buffer
local function cap(lines, label)
  local in_caps = false
  for _, l in ipairs(lines) do
    if l:find('^Capabilities') then
      in_caps = true
    elseif in_caps and l:sub(1, 2 + #label) == '  ' .. label then
      return vim.trim(l:sub(3 + #label))
    end
  end
  fail(string.format('no capability row %q in:\n      %s', label, table.concat(lines, '\n      ')))
end

local function combo_buffer(name)
  local bufname = 'omniroute://combo/' .. name
  local buf
  wait_for(function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b) == bufname then
        buf = b
        return true
      end
    end
    return false
  end, 'buffer ' .. bufname)
  return buf, vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

test(':OmniRouteCombo coding shows members and capabilities in a scratch buffer', function()
  fresh()
  vim.cmd('OmniRouteCombo coding')
  local buf, lines = combo_buffer('coding')
  eq(vim.bo[buf].buftype, 'nofile', 'buftype')
  eq(vim.bo[buf].modifiable, false, 'modifiable')
  eq(vim.api.nvim_get_current_buf(), buf, 'current buffer')
  has(lines[1], 'Combo coding', 'title')
  has(lines[1], 'strategy priority', 'strategy')
  has(line_with(lines, 'Members:'), '2 resolved, 0 unresolved', 'member count')
  has(line_with(lines, '  cx/gpt-5.1-codex-mini'), 'ctx 400k', 'member cx')
  has(line_with(lines, '  cc/claude-sonnet-4-5'), 'ctx 200k', 'member cc')
  has(cap(lines, 'context window'), '200000', 'min context')
  has(cap(lines, 'max output'), '64000', 'min output')
  has(cap(lines, 'vision'), 'yes', 'vision')
  has(cap(lines, 'tools'), 'yes', 'tools')
end)

test(':OmniRouteCombo nested/outer follows the nested combo and lists the unknown member', function()
  fresh()
  vim.cmd('OmniRouteCombo nested/outer')
  local _, lines = combo_buffer('nested/outer')
  has(lines[1], 'strategy weighted', 'strategy')
  has(line_with(lines, '  cx/gpt-5.1-codex-mini'), 'via coding', 'path through the nested combo')
  has(line_with(lines, '  ds/deepseek-chat'), 'vision no', 'deepseek member')
  has(line_with(lines, '  ghost/not-a-model'), 'UNRESOLVED', 'unknown member')
  has(cap(lines, 'context window'), '128000', 'min context over known members')
  has(cap(lines, 'max output'), '8000', 'min output over known members')
  has(cap(lines, 'vision'), 'no', 'vision explicitly false')
  has(cap(lines, 'unknown'), 'ghost/not-a-model', 'unknown members')
end)

test(':OmniRouteCombo with an unknown name says so', function()
  fresh()
  vim.cmd('OmniRouteCombo no-such-combo')
  -- contract: {found:false} -> "no combo named ..."; the service currently answers
  -- -32054 not_found instead (see /work/notes/nvim-client-issues.md): either way a clear error
  local msg = wait_note('no-such-combo', L.ERROR)
  truthy(msg:find("no combo named 'no-such-combo'", 1, true) or msg:find('[not_found]', 1, true), 'clear message: ' .. msg)
  eq(vim.api.nvim_buf_get_name(0):find('omniroute://combo/no-such-combo', 1, true), nil, 'no buffer for it')
end)

test(':OmniRouteCombo completes combo names', function()
  fresh()
  local names = vim.fn.getcompletion('OmniRouteCombo ', 'cmdline')
  truthy(vim.tbl_contains(names, 'coding'), 'coding in ' .. vim.inspect(names))
  truthy(vim.tbl_contains(names, 'nested/outer'), 'nested/outer in ' .. vim.inspect(names))
  truthy(not vim.tbl_contains(names, 'cx/gpt-5.1-codex-mini'), 'only combos')
end)

test(':OmniRouteRefresh reports the diff', function()
  fresh()
  local r, err = om.request_sync('models.list', { refresh = true })
  eq(err, nil, 'models.list error')
  truthy(#r.models > 0, 'models listed')
  set_state({
    add = { { id = 'new/model-x', object = 'model', owned_by = 'new', context_length = 32000 } },
    remove = { 'ds/deepseek-chat' },
  })
  vim.cmd('OmniRouteRefresh')
  local msg = wait_note('refreshed:', L.INFO)
  has(msg, '+1 added (new/model-x)', 'added')
  has(msg, '-1 removed (ds/deepseek-chat)', 'removed')
  has(msg, 'source live', 'source')
end)

test('models/changed after a background refresh is announced', function()
  fresh({ modelCacheTtl = 1 })
  local fired = false
  vim.api.nvim_create_autocmd('User', {
    pattern = 'OmniRouteModelsChanged',
    once = true,
    callback = function()
      fired = true
    end,
  })
  local _, err = om.request_sync('models.list', { refresh = true })
  eq(err, nil, 'models.list error')
  set_state({ add = { { id = 'new/model-y', object = 'model', owned_by = 'new' } } })
  vim.wait(50)
  local r, err2 = om.request_sync('models.list', { refresh = false })
  eq(err2, nil, 'models.list refresh=false error')
  truthy(r.source ~= 'live', 'refresh=false served without waiting (source ' .. tostring(r.source) .. ')')
  local msg = wait_note('changed in the background', L.INFO)
  has(msg, 'new/model-y', 'diff')
  -- the autocmd fires once the new list has been re-read from the service's cache
  wait_for(function()
    return fired
  end, 'User OmniRouteModelsChanged autocmd')
  truthy(om.last_models and om.last_models.models, 'last_models re-read before the autocmd')
  eq(om.last_change and om.last_change.diff and om.last_change.diff.added[1], 'new/model-y', 'last_change')
end)

test(':OmniRouteClearCache clears all scopes, or the one given', function()
  fresh()
  vim.cmd('OmniRouteClearCache')
  local msg = wait_note('cache cleared:', L.INFO)
  has(msg, 'models', 'models scope')
  has(msg, 'combos', 'combos scope')
  notes = {}
  vim.cmd('OmniRouteClearCache combos')
  msg = wait_note('cache cleared:', L.INFO)
  has(msg, 'combos', 'combos')
  hasnt(msg, 'modelsDev', 'not the models.dev copy')
end)

test(':OmniRouteStatus tells where the key comes from', function()
  fresh()
  vim.cmd('OmniRouteStatus')
  local msg = wait_note('key from', L.INFO)
  has(msg, 'key from authFile', 'source (stored by the connect test)')
  has(msg, KEY:sub(-4), 'hint')
  hasnt(msg, KEY, 'full key')
end)

test('errors keep code, message and data.kind (invalid params, unknown method)', function()
  fresh()
  local _, err = om.request_sync('combos.resolve', {})
  truthy(err, 'an error')
  eq(err.code, -32602, 'code')
  has(err.message, 'name', 'message names the field')
  local _, err2 = om.request_sync('no.such.method', {})
  eq(err2 and err2.code, -32601, 'unknown method code')
end)

test(':checkhealth omniroute reports the service and the key', function()
  fresh()
  vim.cmd('checkhealth omniroute')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  has(text, 'omniroute-rpc', 'service named')
  has(text, 'protocol 1', 'protocol version')
  has(text, 'API key from authFile', 'key source')
  hasnt(text, KEY, 'full key')
  vim.cmd('bwipeout!')
end)

test('a slow call can be cancelled and does not block other calls', function()
  fresh()
  om.request_sync('auth.status', {})
  set_state({ delay = 3 })
  local svc = om.service
  local got
  local id = svc:request('models.list', { refresh = true }, function(err, res)
    got = { err = err, res = res }
  end)
  truthy(id, 'request id')
  local t0 = vim.fn.reltime()
  local r, err = om.request_sync('cache.clear', { scope = 'modelsDev' }, 2000)
  eq(err, nil, 'cache.clear while a slow models.list runs')
  truthy(r and r.cleared, 'cache.clear result')
  truthy(vim.fn.reltimefloat(vim.fn.reltime(t0)) < 2, 'cache.clear not blocked')
  truthy(svc:cancel(id), 'cancel')
  eq(got and got.err and got.err.code, -32800, 'cancelled error')
  set_state(nil)
  -- the service is still usable after $/cancelRequest
  vim.wait(100)
  local _, err2 = om.request_sync('auth.status', {}, 5000)
  eq(err2, nil, 'auth.status after cancel')
end)

test('a missing binary gives a clear message', function()
  fresh({ cmd = '/nonexistent/omniroute-rpc' })
  vim.cmd('OmniRouteModels')
  local msg = wait_note('models.list failed', L.ERROR)
  has(msg, '/nonexistent/omniroute-rpc', 'names the path')
  has(msg, 'OMNIROUTE_RPC_BIN', 'tells how to fix it')
end)

test('cmd defaults to $OMNIROUTE_RPC_BIN, then omniroute-rpc on PATH', function()
  local old_path = vim.env.PATH
  vim.env.OMNIROUTE_RPC_BIN = BIN
  om.setup({ baseURL = GW, modelsDev = { enabled = false } })
  local r, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status via $OMNIROUTE_RPC_BIN')
  eq(om.service.cmd[1], BIN, 'cmd from env')
  truthy(r.authFile, 'result')
  om.stop()
  vim.env.OMNIROUTE_RPC_BIN = nil
  -- not on PATH
  vim.env.PATH = TMP .. '/empty-bin'
  om.setup({ baseURL = GW })
  local _, err2 = om.request_sync('auth.status', {})
  truthy(err2 and err2.message:find("'omniroute-rpc' is not an executable", 1, true), 'missing on PATH: ' .. vim.inspect(err2))
  -- on PATH
  local bindir = TMP .. '/path-bin'
  vim.fn.mkdir(bindir, 'p')
  uv.fs_symlink(BIN, bindir .. '/omniroute-rpc')
  vim.env.PATH = bindir .. ':' .. old_path
  om.setup({ baseURL = GW, modelsDev = { enabled = false } })
  local _, err3 = om.request_sync('auth.status', {})
  vim.env.PATH = old_path
  eq(err3, nil, 'auth.status via PATH')
  eq(om.service.cmd[1], 'omniroute-rpc', 'default cmd')
end)

test('a service that dies fails the pending calls and says so', function()
  om.setup({ cmd = { 'sh', '-c', 'exit 3' } })
  vim.cmd('OmniRouteModels')
  local msg = wait_note('models.list failed', L.ERROR)
  has(msg, 'exited (code 3', 'exit code in the failure')
  wait_note('exited unexpectedly', L.ERROR)
end)

test('stop() ends the service cleanly: shutdown + exit -> exit code 0', function()
  fresh()
  local _, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status error')
  local svc = om.service
  truthy(om.stop(1000), 'stopped')
  truthy(svc.exited, 'process exited')
  eq(svc.exit_code, 0, 'exit code')
  for _, n in ipairs(notes) do
    hasnt(n.msg, 'unexpectedly', 'notification')
  end
end)

test(':OmniRouteUsage shows the member split of a combo, served ids mapped, gateway names escaped', function()
  fresh({ cacheDir = TMP .. '/usage-' .. tostring(uv.hrtime()) })
  local _, lerr = om.request_sync('models.list', { refresh = true })
  eq(lerr, nil, 'models.list (the catalogue maps served ids)')
  local function rec(served, tin, tout, ok)
    local r, err = om.request_sync('usage.record', {
      model = 'coding',
      host = 'nvim',
      status = ok and 200 or 0,
      ok = ok,
      stream = true,
      latencyMs = 100,
      omniroute = { model = served, ['response-cost'] = '0.00005', ['tokens-in'] = '0', ['tokens-out'] = '0' },
      usage = { prompt_tokens = tin, completion_tokens = tout },
    })
    eq(err, nil, 'usage.record')
    return r
  end
  local r = rec('gpt-5.1-codex-mini', 10, 5, true)
  eq(r.record.servedId, 'cx/gpt-5.1-codex-mini', 'served id mapped to the catalogue id')
  rec('gpt-5.1-codex-mini', 10, 5, true)
  rec('evil\27[2Jname', 1, 1, false)
  vim.cmd('OmniRouteUsage 7d')
  local buf
  wait_for(function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b) == 'omniroute://usage/7d' then
        buf = b
        return true
      end
    end
    return false
  end, 'buffer omniroute://usage/7d')
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  eq(vim.bo[buf].modifiable, false, 'modifiable')
  has(lines[1], 'OmniRoute usage since 7d', 'title')
  local cx = line_with(lines, 'cx/gpt-5.1-codex-mini')
  has(cx, 'coding', 'requested combo on the member line')
  truthy(cx:find('coding%s+cx/gpt%-5%.1%-codex%-mini%s+2%s+0%s+20%s+10%s+0%.000100%s+100'), 'member row: ' .. cx)
  local evil = line_with(lines, 'evil[2Jname') -- the service drops control characters from ids
  truthy(evil:find('1%s+1%s+1%s+1'), 'failed row: ' .. evil)
  hasnt(table.concat(lines, '\n'), '\27', 'no raw escape character')
  truthy(line_with(lines, 'TOTAL'):find('TOTAL%s+3%s+1%s+21%s+11'), 'totals')
  eq(require('omniroute.usage').clean('a\27[2Jb\n'), 'a\\x1b[2Jb\\x0a', 'and the buffer escapes what is left')
end)

test('after shutdown, requests get shut_down; a new command starts a new service', function()
  fresh()
  local r, err = om.request_sync('shutdown', nil)
  eq(err, nil, 'shutdown error')
  eq(r, nil, 'shutdown result')
  local _, err2 = om.request_sync('auth.status', {})
  truthy(err2, 'error after shutdown')
  eq(err2.data and err2.data.kind, 'shut_down', 'data.kind')
  local svc = om.service
  svc.stopping = true
  svc:notify('exit', nil)
  wait_for(function()
    return svc.exited
  end, 'exit')
  eq(svc.exit_code, 0, 'exit code after shutdown + exit')
  local _, err3 = om.request_sync('auth.status', {})
  eq(err3, nil, 'a fresh service answers')
end)

test('setup() again restarts the service with the new options', function()
  fresh()
  om.request_sync('auth.status', {})
  local first = om.service
  fresh({ baseURL = DEAD })
  truthy(first.exited, 'old service stopped')
  local r = om.request_sync('auth.status', {})
  has(r.baseURL, DEAD:match('127%.0%.0%.1:%d+'), 'new baseURL')
end)

-- last: leave a service running (through the pid-recording wrapper) without the
-- VimLeavePre stop, so run.sh can check that it exits on stdin EOF when Neovim quits.
--- records the params of every request of the current service; `rewrite(method, params)` may
--- change what is really sent
local function spy_requests(rewrite)
  local svc = om.get_service()
  local sent = {}
  local orig = svc.request
  svc.request = function(self, m, p, cb)
    if m ~= 'models.health' then -- the picker's health column is a call of its own
      table.insert(sent, { method = m, params = vim.deepcopy(p or {}) })
    end
    return orig(self, m, rewrite and rewrite(m, p) or p, cb)
  end
  return sent
end

local function pick_and_wait(opts)
  local done = false
  om.models(opts or {}, function()
    done = true
  end)
  wait_for(function()
    return done
  end, 'the picker')
end

test('the first list of a service is a start-up call; the current binary gets it again without startup', function()
  fresh()
  om.startup_unsupported = nil
  local sent = spy_requests()
  stub_select(pick_id('cx/gpt-5.1-codex-mini'))
  pick_and_wait()
  truthy(picker and #picker.items > 0, 'models listed')
  eq(sent[1].method, 'models.list', 'first request')
  eq(sent[1].params.startup, true, 'first list sent with startup')
  if om.startup_unsupported then -- a binary without start-up deadlines: -32602, asked again
    eq(sent[2].params.startup, nil, 'asked again without startup')
  end
  local n = #sent
  pick_and_wait()
  eq(#sent, n + 1, 'one request for the second list')
  eq(sent[#sent].params.startup, nil, 'only the first list is a start-up call')
  pick_and_wait({ refresh = true })
  eq(sent[#sent].params.startup, nil, 'an explicit refresh is never a start-up call')
end)

test('a service that accepts startup gets one call; a -32602 about another field is an error', function()
  fresh()
  om.startup_unsupported = nil
  -- stands in for a binary with start-up deadlines: the param reaches it as an accepted one
  local sent = spy_requests(function(_, p)
    local q = vim.deepcopy(p or {})
    q.startup = nil
    return q
  end)
  stub_select(pick_id('cx/gpt-5.1-codex-mini'))
  pick_and_wait()
  eq(#sent, 1, 'one request')
  eq(sent[1].params.startup, true, 'with startup')
  eq(om.startup_unsupported, nil, 'not marked unsupported')
  truthy(om._rejects_startup({ code = -32602, message = 'invalid params: field `startup`: unknown field `startup`', data = { field = 'startup' } }), '-32602 startup')
  truthy(not om._rejects_startup({ code = -32602, message = 'invalid params: field `refresh`', data = { field = 'refresh' } }), '-32602 refresh')
  truthy(not om._rejects_startup({ code = -32000, message = 'startup' }), 'other code')
  truthy(not om._rejects_startup('startup'), 'not a table')
end)

test('models/changed shows an open picker again with the new list', function()
  fresh({ modelCacheTtl = 1, refreshOnList = false })
  local _, err = om.request_sync('models.list', { refresh = true })
  eq(err, nil, 'models.list error')
  set_state({ add = { { id = 'new/model-p', object = 'model', owned_by = 'new' } } })
  vim.wait(50)
  local shown = {}
  vim.ui.select = function(items, opts, on_choice)
    table.insert(shown, { items = items, on_choice = on_choice, prompt = opts.prompt })
  end
  local chosen, answered = nil, 0
  -- served from the stale cache (TTL 1 ms), refreshed in the background -> models/changed
  om.models({ refresh = false }, function(_, c)
    answered = answered + 1
    chosen = c
  end)
  wait_for(function()
    return #shown >= 2
  end, 'the picker shown again after models/changed')
  local function index_of(list, id)
    for i, it in ipairs(list) do
      if it.id == id then
        return i
      end
    end
  end
  eq(index_of(shown[1].items, 'new/model-p'), nil, 'the first picker has the old list')
  local idx = index_of(shown[2].items, 'new/model-p')
  truthy(idx, 'the second picker has new/model-p')
  truthy(om.last_models and index_of(om.last_models.models, 'new/model-p'), 'last_models updated')
  shown[1].on_choice(shown[1].items[1], 1)
  eq(answered, 0, 'the replaced picker is ignored')
  shown[2].on_choice(shown[2].items[idx], idx)
  eq(answered, 1, 'answered once')
  eq(chosen and chosen.id, 'new/model-p', 'choice from the new list')
  eq(vim.fn.getreg('"'), 'new/model-p', 'yanked')
end)

-- hostile gateway strings (issue 19 item 7) -------------------------------------------------
-- ESC sequences (retitle, clear screen), BEL, CR and the C1 CSI U+009B in ids, names, combo
-- names and members: the service keeps them intact in JSON, the client must escape them
-- everywhere it shows them (format.escape: `\x1b`, `\u{9b}`).
local EVIL_ID = 'evil/\27]0;pwned\7x\r\194\155y'
local EVIL_ID_SHOWN = 'evil/\\x1b]0;pwned\\x07x\\x0d\\u{9b}y'
local EVIL_NAME = 'Evil \27[2J\7name\r\194\155'
local EVIL_COMBO = 'team\27[31m\7\r\194\155'
local EVIL_COMBO_SHOWN = 'team\\x1b[31m\\x07\\x0d\\u{9b}'
local EVIL_GHOST = 'ghost/\27[H\r\194\155'

--- fails when `s` holds a raw control character (C0 other than the allowed \n, DEL, C1)
local function no_controls(s, what, allow_newline)
  local c0 = allow_newline and '[%z\1-\9\11-\31\127]' or '[%z\1-\31\127]'
  if type(s) ~= 'string' then
    fail(string.format('%s: not a string: %s', what, vim.inspect(s)))
  end
  if s:find(c0) or s:find('\194[\128-\159]') then
    fail(string.format('%s: raw control character in %s', what, vim.inspect(s)))
  end
end

--- the hostile catalogue, with or without the evil model
local function evil_models(gw, with_evil)
  local models = {
    { id = 'ok/plain', object = 'model', owned_by = 'ok', context_length = 32000, max_output_tokens = 4000 },
    { id = EVIL_COMBO, object = 'model', owned_by = 'combo', root = EVIL_COMBO },
  }
  if with_evil then
    table.insert(models, {
      id = EVIL_ID,
      name = EVIL_NAME,
      object = 'model',
      owned_by = 'evil\27[0m',
      type = 'chat\27[5m',
      context_length = 1000,
      max_output_tokens = 100,
      capabilities = { vision = true, tool_calling = true },
    })
  end
  gw.set('/v1/models', { object = 'list', data = models })
end

local function evil_gateway(with_evil)
  local gw = dofile(ROOT .. '/test/lua_gateway.lua').start()
  evil_models(gw, with_evil)
  gw.set('/v1/combos', {
    object = 'list',
    data = {
      {
        name = EVIL_COMBO,
        strategy = 'prio\27[2Jrity',
        models = {
          { kind = 'model', model = EVIL_ID, providerId = 'evil', weight = 0 },
          { kind = 'model', model = EVIL_GHOST, providerId = 'ghost', weight = 0 },
        },
      },
    },
  })
  return gw
end

test('format.escape shows control characters as the service does (\\xNN, \\u{NN})', function()
  local fmt = require('omniroute.format')
  eq(fmt.escape('gpt-4o'), 'gpt-4o', 'plain')
  eq(fmt.escape('a\27]0;pwned\7b'), 'a\\x1b]0;pwned\\x07b', 'OSC + BEL')
  eq(fmt.escape('x\ry\194\155z'), 'x\\x0dy\\u{9b}z', 'CR + C1')
  eq(fmt.escape('\0\127\194\128\194\159'), '\\x00\\x7f\\u{80}\\u{9f}', 'NUL, DEL, C1 bounds')
  eq(fmt.escape('модель ✓ \194\160'), 'модель ✓ \194\160', 'printable non-ASCII unchanged (NBSP is not C1)')
  eq(fmt.escape('a\nb\27'), 'a\\x0ab\\x1b', 'newline escaped')
  eq(fmt.escape('a\nb\27', true), 'a\nb\\x1b', 'newline kept on request')
  eq(fmt.escape(nil), 'nil', 'nil')
  eq(fmt.escape(12), '12', 'number')
  local line = fmt.model_line({ id = EVIL_ID, kind = 'x\27', health = { state = 'ok\7' } }, 3)
  no_controls(line, 'model_line')
  has(line, EVIL_ID_SHOWN, 'model_line id')
  no_controls(fmt.diff({ added = { EVIL_ID }, removed = { EVIL_GHOST }, changed = {} }), 'diff')
  no_controls(fmt.models_prompt(1, 2, 1, 'q\27', 'live\7'), 'prompt')
  om._notify('evil ' .. EVIL_NAME .. '\nsecond line')
  local last = notes[#notes].msg
  no_controls(last, 'notification', true)
  has(last, 'Evil \\x1b[2J\\x07name\\x0d\\u{9b}\nsecond line', 'notification keeps its own line break')
end)

test('gateway ids and names with control characters are escaped in the picker, search, yank and refresh messages', function()
  local gw = evil_gateway(false)
  fresh({ baseURL = gw.url })
  local _, err = om.request_sync('models.list', { refresh = true })
  eq(err, nil, 'models.list error')
  evil_models(gw, true) -- the refresh diff names the new model
  vim.cmd('OmniRouteRefresh')
  local refreshed = wait_note('refreshed:', L.INFO)
  no_controls(refreshed, 'refresh notification', true)
  has(refreshed, EVIL_ID_SHOWN, 'the diff names the id, escaped')
  -- the service keeps the id intact in JSON
  local r = om.request_sync('models.list', { refresh = false })
  local found
  for _, m in ipairs(r.models) do
    if m.id == EVIL_ID then
      found = m
    end
  end
  truthy(found, 'the raw id in the models.list result')
  eq(found.name, EVIL_NAME, 'the raw name in the models.list result')
  -- picker lines and prompt
  notes = {}
  stub_select(pick_id(EVIL_ID))
  vim.fn.setreg('"', 'before')
  vim.cmd('OmniRouteModels')
  wait_note('yanked', L.INFO)
  no_controls(picker.prompt, 'picker prompt')
  for i, l in ipairs(picker.lines) do
    no_controls(l, 'picker line ' .. i)
  end
  has(line_with(picker.lines, EVIL_ID_SHOWN), 'ctx 1k', 'the evil line, escaped, with its columns')
  local combo_line = line_with(picker.lines, EVIL_COMBO_SHOWN)
  has(combo_line, '[combo]', 'the combo line, escaped')
  for _, n in ipairs(notes) do
    no_controls(n.msg, 'notification', true)
  end
  has(wait_note('yanked', L.INFO), EVIL_ID_SHOWN, 'the yank message shows the id escaped')
  eq(vim.fn.getreg('"'), EVIL_ID, 'the register gets the real id, intact')
  -- models.search results (a query typed with a control character too)
  notes = {}
  stub_select(nil)
  om.models({ args = 'pwned' })
  wait_for(function()
    return picker ~= nil
  end, 'the search picker')
  eq(picker.items[1].id, EVIL_ID, 'the search finds the model by its id')
  no_controls(picker.prompt, 'search prompt')
  for i, l in ipairs(picker.lines) do
    no_controls(l, 'search line ' .. i)
  end
  om.models({ args = 'zz\27[2Jnothing' })
  no_controls(wait_note('no model matches', L.WARN), 'no-match warning', true)
  gw.stop()
end)

test('a combo with control characters in its name, strategy and members is escaped in its buffer and messages', function()
  local gw = evil_gateway(true)
  fresh({ baseURL = gw.url })
  local done, res, buf
  om.combo(EVIL_COMBO, function(e, r, b)
    done, res, buf = true, r, b
    if e then
      res = e
    end
  end)
  wait_for(function()
    return done
  end, 'combos.resolve')
  truthy(buf, 'a buffer for the combo: ' .. vim.inspect(res))
  eq(vim.api.nvim_buf_get_name(buf), 'omniroute://combo/' .. EVIL_COMBO_SHOWN, 'buffer name escaped')
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i, l in ipairs(lines) do
    no_controls(l, 'combo buffer line ' .. i)
  end
  has(lines[1], 'Combo ' .. EVIL_COMBO_SHOWN, 'title escaped')
  has(lines[1], 'prio\\x1b[2Jrity', 'strategy escaped')
  has(line_with(lines, '  ' .. EVIL_ID_SHOWN), 'ctx 1k', 'the member, escaped, resolved')
  has(line_with(lines, 'ghost/\\x1b[H\\x0d\\u{9b}'), 'UNRESOLVED', 'the unknown member, escaped')
  vim.cmd('bwipeout!')
  -- an unknown hostile name: the error (or not-found) message is escaped
  notes = {}
  om.combo('no\27[2Jsuch\7')
  local msg = wait_note('no', L.ERROR)
  no_controls(msg, 'combo error', true)
  truthy(msg:find('no\\[xu]{?1b}?%[2Jsuch'), 'the name shown escaped (by the service or here): ' .. msg)
  gw.stop()
end)

test('warnings and :checkhealth escape service text', function()
  fresh({ apiMode = 'bogus\27]0;pwned\7' })
  local _, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status error')
  local msg = wait_note('apiMode', L.WARN)
  no_controls(msg, 'initialize warning', true) -- the service quotes the value (JSON escapes)
  -- a warning that reaches the client raw: one line per warning, escaped whole
  notes = {}
  require('omniroute.notify').report_warnings({ 'first \27[2J\nstill first', 'second\7' }, 'models.list')
  msg = wait_note('models.list warnings', L.WARN)
  no_controls(msg, 'warnings', true)
  eq(#vim.split(msg, '\n'), 3, 'a title and one line per warning: ' .. msg)
  has(msg, 'first \\x1b[2J\\x0astill first', 'the warning escaped')
  -- :checkhealth shows the service's initialize warnings and serverInfo escaped
  om.service.init_result.warnings = { 'raw \27]0;pwned\7 warning' }
  om.service.init_result.serverInfo.version = '9\27[5m'
  vim.cmd('checkhealth omniroute')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  has(text, 'raw \\x1b]0;pwned\\x07 warning', 'the warning in :checkhealth, escaped')
  has(text, 'omniroute-rpc 9\\x1b[5m', 'the version, escaped')
  no_controls(text, ':checkhealth', true)
  vim.cmd('bwipeout!')
end)

test('(setup) a service is left running for the stdin-EOF check', function()
  fresh({ cmd = E.OMNIROUTE_TEST_WRAPPER })
  local _, err = om.request_sync('auth.status', {})
  eq(err, nil, 'auth.status via wrapper')
  vim.api.nvim_create_augroup('omniroute', { clear = true })
end)

say(string.format('%d passed, %d failed', passed, failed))
if E.OMNIROUTE_TEST_SUMMARY then
  vim.fn.writefile({ passed .. ' ' .. failed }, E.OMNIROUTE_TEST_SUMMARY)
end
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
