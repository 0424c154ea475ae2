// Starts `querylint server` for SQL, TypeScript, JavaScript and Rust
// documents and shows its diagnostics, quick fixes and hovers.
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

const LANGUAGES = ['sql', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'rust'];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration('querylint').get<string>('path', 'querylint');
  const serverOptions: ServerOptions = {
    command,
    args: ['server'],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    synchronize: {
      // The server reads querylint.toml again when one changes.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{querylint.toml,.querylint.toml}'),
    },
  };
  client = new LanguageClient('querylint', 'querylint', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('querylint.path') && client) {
        await client.stop();
        await activate(context);
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
