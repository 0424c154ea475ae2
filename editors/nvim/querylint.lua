-- querylint for Neovim's built-in LSP client (Neovim 0.8 and later).
-- Put this file on your runtimepath (for example ~/.config/nvim/plugin/)
-- or `require` it from your init.lua. It starts `querylint server` for
-- SQL, TypeScript, JavaScript and Rust buffers, rooted at the nearest
-- querylint.toml, Cargo.toml, package.json or .git folder.

local filetypes = {
  sql = true,
  typescript = true,
  typescriptreact = true,
  javascript = true,
  javascriptreact = true,
  rust = true,
}

vim.api.nvim_create_autocmd('FileType', {
  group = vim.api.nvim_create_augroup('querylint', { clear = true }),
  callback = function(args)
    if not filetypes[vim.bo[args.buf].filetype] then
      return
    end
    local markers = { 'querylint.toml', '.querylint.toml', 'Cargo.toml', 'package.json', '.git' }
    local found = vim.fs.find(markers, { upward = true, path = vim.api.nvim_buf_get_name(args.buf) })[1]
    vim.lsp.start({
      name = 'querylint',
      cmd = { 'querylint', 'server' },
      root_dir = found and vim.fs.dirname(found) or vim.fn.getcwd(),
    })
  end,
})
