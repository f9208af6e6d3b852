-- omniroute.nvim user commands. The service starts on the first command (lazy).
if vim.g.loaded_omniroute then
  return
end
vim.g.loaded_omniroute = true

local function om()
  return require('omniroute')
end

local cmd = vim.api.nvim_create_user_command

cmd('OmniRouteConnect', function()
  om().connect()
end, { desc = 'OmniRoute: check an API key against the gateway and store it' })

cmd('OmniRouteModels', function(a)
  om().models({ refresh = a.bang and true or nil, args = a.args })
end, {
  bang = true,
  nargs = '*',
  complete = function(arglead)
    return om().complete_model_args(arglead)
  end,
  desc = 'OmniRoute: pick a model; [query] [tools] [vision] [free] [provider=a,b] [hide=p,q] [visible=p,q] [all] (! = fresh list)',
})

cmd('OmniRouteCombo', function(a)
  om().combo(a.args)
end, {
  nargs = 1,
  complete = function(arglead)
    return om().complete_combo(arglead)
  end,
  desc = 'OmniRoute: members and computed capabilities of a combo',
})

cmd('OmniRouteRefresh', function()
  om().refresh()
end, { desc = 'OmniRoute: refresh the catalogue and report the diff' })

cmd('OmniRouteClearCache', function(a)
  om().clear_cache(a.args)
end, {
  nargs = '?',
  complete = function()
    return { 'all', 'models', 'combos', 'modelsDev' }
  end,
  desc = 'OmniRoute: clear the service caches (memory and disk)',
})

cmd('OmniRouteUsage', function(a)
  om().usage(a.args)
end, {
  nargs = '?',
  complete = function()
    return { '24h', '7d', '30d' }
  end,
  desc = 'OmniRoute: requests, tokens and cost per model and served member (default since 7d)',
})

cmd('OmniRouteStatus', function()
  om().status()
end, { desc = 'OmniRoute: where the key comes from, gateway URL' })

-- Stop the service cleanly (shutdown + exit) when Neovim quits; it would also exit on its own
-- when its stdin closes.
vim.api.nvim_create_autocmd('VimLeavePre', {
  group = vim.api.nvim_create_augroup('omniroute', { clear = true }),
  callback = function()
    local m = package.loaded['omniroute']
    if m and m.service then
      pcall(m.stop, 300)
    end
  end,
})
