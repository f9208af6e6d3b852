-- The read-only scratch buffers of :OmniRouteCombo (omniroute://combo/{name}) and
-- :OmniRouteUsage (omniroute://usage/{since}): reused when they exist, shown in their window or
-- a new split at the bottom.
local M = {}

--- Fills (or creates) the scratch buffer for `name` of `kind` ('combo' by default) with
--- `lines`, shows it, returns its number.
function M.scratch(name, lines, kind)
  local bufname = 'omniroute://' .. (kind or 'combo') .. '/' .. name
  local buf
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_valid(b) and vim.api.nvim_buf_get_name(b) == bufname then
      buf = b
    end
  end
  if not buf then
    buf = vim.api.nvim_create_buf(false, true)
    pcall(vim.api.nvim_buf_set_name, buf, bufname)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = 'omniroute'
  local win
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(w) == buf then
      win = w
    end
  end
  if win then
    vim.api.nvim_set_current_win(win)
  else
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

return M
