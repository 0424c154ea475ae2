-- A headless Neovim (0.7 or later) as an LSP client of `querylint server`:
-- opens a file, waits for the diagnostics the server publishes, writes
-- them as JSON and quits. Arguments come in the environment:
-- QUERYLINT_BIN, QUERYLINT_FILE, QUERYLINT_OUT.
local bin = vim.env.QUERYLINT_BIN
local file = vim.env.QUERYLINT_FILE
local out = vim.env.QUERYLINT_OUT

local received = nil
local client_id = vim.lsp.start_client({
  name = 'querylint',
  cmd = { bin, 'server' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      if #result.diagnostics > 0 then
        received = result
      end
    end,
  },
})

vim.cmd('edit ' .. vim.fn.fnameescape(file))
vim.lsp.buf_attach_client(0, client_id)
local ok = vim.wait(20000, function() return received ~= nil end, 20)

-- What Neovim made of them: its own diagnostics of the buffer.
local shown = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(shown, { lnum = d.lnum, col = d.col, end_col = d.end_col, code = d.code, source = d.source })
end
local report = { ok = ok, published = received, shown = shown }
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(report))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qa!')
