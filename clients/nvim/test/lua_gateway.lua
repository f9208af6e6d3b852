-- A loopback gateway served from inside the test Neovim (libuv TCP, 127.0.0.1 only), for
-- catalogues the shared mock_gateway.py does not have (combos with hostile names). Answers
-- GET {path} with the JSON body set for that path (query string and trailing / ignored), 404
-- otherwise; one request per connection (Connection: close).
--
--   local gw = dofile('test/lua_gateway.lua').start()
--   gw.set('/v1/models', { object = 'list', data = {...} })   -- body encoded here, on the main loop
--   gw.url .. ''  -> 'http://127.0.0.1:PORT/v1';  gw.hits -> paths asked;  gw.stop()
local uv = vim.uv or vim.loop

local G = {}

function G.start()
  local bodies = {} -- path -> encoded JSON (read in libuv callbacks, so encoded beforehand)
  local self = { hits = {} }
  local server = assert(uv.new_tcp())
  assert(server:bind('127.0.0.1', 0))
  local function answer(client, head)
    local path = (head:match('^%u+ (%S+)') or '/'):gsub('%?.*$', ''):gsub('/$', '')
    table.insert(self.hits, path)
    local body, status = bodies[path], '200 OK'
    if not body then
      body, status = '{"error":{"message":"not found"}}', '404 Not Found'
    end
    local resp = string.format(
      'HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s',
      status,
      #body,
      body
    )
    client:write(resp, function()
      client:shutdown(function()
        client:close()
      end)
    end)
  end
  assert(server:listen(32, function(lerr)
    if lerr then
      return
    end
    local client = uv.new_tcp()
    server:accept(client)
    local head = ''
    client:read_start(function(rerr, chunk)
      if rerr or not chunk then
        client:close()
        return
      end
      head = head .. chunk
      if head:find('\r\n\r\n', 1, true) then
        client:read_stop()
        answer(client, head)
      end
    end)
  end))
  self.port = server:getsockname().port
  self.url = string.format('http://127.0.0.1:%d/v1', self.port)
  function self.set(path, value)
    bodies[path] = vim.json.encode(value)
  end
  function self.stop()
    if not server:is_closing() then
      server:close()
    end
  end
  return self
end

return G
