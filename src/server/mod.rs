//! `querylint server`: the language server.
//!
//! The main thread reads messages and keeps the open documents; a lint
//! thread lints them and publishes diagnostics. Changes queue up while a
//! document is being linted and only the newest text of each document is
//! linted next, so a burst of keystrokes costs one lint; a result is
//! published only if its version is still the document's newest, so an
//! editor never sees diagnostics older than ones it already has.
//!
//! A diagnostic carries in `data` the edits of its fix and of the two
//! "ignore" actions, so a code action needs no new lint.

mod text;
pub mod transport;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic as LspDiagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams, Hover,
    HoverContents, HoverParams, HoverProviderCapability, InitializeResult, Location, MarkupContent,
    MarkupKind, NumberOrString, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, FixSafety, Severity};
use crate::discover::FileKind;
use crate::workspace::{Outcome, Workspace};
use text::Lines;

/// Where a rule's documentation is published.
fn rule_url(rule: &str) -> Option<Uri> {
    format!("{}/blob/main/rules/{rule}.md", env!("CARGO_PKG_REPOSITORY"))
        .parse()
        .ok()
}

/// Runs the server on standard input and output until `exit`. Returns the
/// process exit code: 0 after `shutdown` then `exit`, 1 otherwise.
pub fn run() -> i32 {
    let io = transport::stdio();
    let code = serve(&io.out, &io.input, &io.wake);
    drop(io.out);
    drop(io.wake);
    let _ = io.writer.join();
    code
}

/// Runs the server over any input, as [`run`] does over standard input,
/// and returns its exit code with every message it wrote.
pub fn run_over<R: std::io::BufRead + Send + 'static>(mut input: R) -> (i32, Vec<Message>) {
    let (to_main, from_reader) = std::sync::mpsc::channel();
    let (out, written) = std::sync::mpsc::channel();
    let wake = to_main.clone();
    let replies = out.clone();
    let reader = std::thread::spawn(move || transport::read_loop(&mut input, &to_main, &replies));
    let code = serve(&out, &from_reader, &wake);
    drop(from_reader);
    let _ = reader.join();
    drop(out);
    (code, written.try_iter().collect())
}

/// The notification the lint thread sends the main one when a document's
/// new text changed a project fact other files depend on (the clients a
/// module exports, the functions that run a query): the other open
/// documents of that workspace are linted again. Its parameter is the
/// document's key.
const FACTS_CHANGED: &str = "querylint/factsChanged";

/// An open document.
struct Document {
    uri: Uri,
    text: String,
    version: i32,
    kind: FileKind,
    path: PathBuf,
}

/// A document to lint, as it was at one version, and the workspace it is
/// linted in.
struct Job {
    key: String,
    uri: Uri,
    version: i32,
    text: String,
    kind: FileKind,
    path: PathBuf,
    workspace: Arc<Workspace>,
}

/// What the main thread and the lint thread share.
#[derive(Default)]
struct Shared {
    /// The newest version of each open document.
    latest: HashMap<String, i32>,
    /// What was last published for each document: range and rule, for
    /// hover.
    published: HashMap<String, Vec<(lsp_types::Range, &'static str)>>,
    /// URIs as the editor wrote them, by the form the server reads them in
    /// (see [`sanitize`]): diagnostics go back under the editor's own.
    written: HashMap<String, String>,
}

/// The server's state on the main thread.
struct Server {
    out: Sender<Message>,
    documents: HashMap<String, Document>,
    shared: Arc<Mutex<Shared>>,
    jobs: Sender<Job>,
    /// The workspaces of the open documents, by root.
    workspaces: HashMap<PathBuf, Arc<Workspace>>,
    /// The configuration of each document: the nearest file above it.
    configs: Arc<crate::config::Resolver>,
    /// Configuration files already reported as broken.
    reported: std::collections::HashSet<PathBuf>,
    /// The editor's workspace folders: the root of a document that has no
    /// configuration file or git work tree above it is the one it lies in.
    roots: Vec<PathBuf>,
    /// Whether the editor lets the server ask to hear of files that change
    /// on disk.
    can_watch: bool,
}

fn serve(out: &Sender<Message>, input: &Receiver<Message>, wake: &Sender<Message>) -> i32 {
    // Nothing but `initialize` is answered before it.
    let (roots, can_watch) = loop {
        match input.recv() {
            Err(_) => return 1,
            Ok(Message::Request(req)) if req.method == "initialize" => {
                let _ = out.send(Message::Response(Response::new_ok(req.id, capabilities())));
                let can_watch = req.params["capabilities"]["workspace"]["didChangeWatchedFiles"]["dynamicRegistration"]
                    == true;
                break (workspace_roots(&req.params), can_watch);
            }
            Ok(Message::Request(req)) => {
                let _ = out.send(Message::Response(Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".to_owned(),
                )));
            }
            Ok(Message::Notification(n)) if n.method == "exit" => return 1,
            Ok(_) => {}
        }
    };
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (jobs, queue) = std::sync::mpsc::channel::<Job>();
    let lint_thread = {
        let out = out.clone();
        let wake = wake.clone();
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("querylint-lsp-lint".to_owned())
            .stack_size(64 * 1024 * 1024)
            .spawn(move || lint_loop(&queue, &out, &wake, &shared))
            .expect("a thread can be started")
    };
    let mut server = Server {
        out: out.clone(),
        documents: HashMap::new(),
        shared,
        jobs,
        workspaces: HashMap::new(),
        configs: Arc::new(crate::config::Resolver::nearest(Default::default())),
        reported: Default::default(),
        roots,
        can_watch,
    };
    let mut shutting_down = false;
    let code = loop {
        let Ok(message) = input.recv() else {
            break 1;
        };
        match message {
            Message::Request(req) => {
                if req.method == "shutdown" {
                    shutting_down = true;
                    server.respond(req.id, Ok(Value::Null));
                } else if shutting_down {
                    server.respond(
                        req.id,
                        Err((
                            ErrorCode::InvalidRequest,
                            "the server is shutting down".to_owned(),
                        )),
                    );
                } else {
                    let id = req.id.clone();
                    let mut req = req;
                    server.sanitize(&mut req.params);
                    let result = server.request(req);
                    server.respond(id, result);
                }
            }
            Message::Notification(n) if n.method == "exit" => {
                break if shutting_down { 0 } else { 1 };
            }
            Message::Notification(mut n) => {
                server.sanitize(&mut n.params);
                server.notification(n)
            }
            Message::Response(_) => {}
        }
    };
    drop(server);
    let _ = lint_thread.join();
    code
}

fn capabilities() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "querylint".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
    }
}

type Answer = Result<Value, (ErrorCode, String)>;

impl Server {
    /// Percent-encodes what a URI may not hold in the `uri` fields of a
    /// message's parameters (`[id]` folders, spaces, non-ASCII names), as
    /// some editors send them raw, and remembers how the editor wrote each.
    fn sanitize(&mut self, params: &mut Value) {
        let mut written = Vec::new();
        sanitize(params, &mut written);
        if !written.is_empty() {
            let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            shared.written.extend(written);
        }
    }

    fn respond(&self, id: RequestId, result: Answer) {
        let response = match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        let _ = self.out.send(Message::Response(response));
    }

    fn log(&self, message: &str) {
        let _ = self.out.send(transport::log(message));
    }

    fn request(&mut self, req: Request) -> Answer {
        let invalid = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match req.method.as_str() {
            "textDocument/codeAction" => {
                let params: CodeActionParams =
                    serde_json::from_value(req.params).map_err(invalid)?;
                Ok(serde_json::to_value(self.code_actions(params)).unwrap_or(Value::Null))
            }
            "textDocument/hover" => {
                let params: HoverParams = serde_json::from_value(req.params).map_err(invalid)?;
                Ok(serde_json::to_value(self.hover(params)).unwrap_or(Value::Null))
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("querylint does not handle `{other}`"),
            )),
        }
    }

    fn notification(&mut self, n: Notification) {
        let result = match n.method.as_str() {
            "textDocument/didOpen" => serde_json::from_value(n.params).map(|p| self.did_open(p)),
            "textDocument/didChange" => {
                serde_json::from_value(n.params).map(|p| self.did_change(p))
            }
            "textDocument/didClose" => serde_json::from_value(n.params).map(|p| self.did_close(p)),
            "textDocument/didSave" => serde_json::from_value(n.params).map(|p| self.did_save(p)),
            "initialized" => {
                self.watch_files();
                Ok(())
            }
            "workspace/didChangeWatchedFiles" => {
                self.files_changed(&n.params);
                Ok(())
            }
            FACTS_CHANGED => {
                let key = n.params.as_str().unwrap_or_default().to_owned();
                self.facts_changed(&key);
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log(&format!(
                "querylint could not read a `{}` notification: {e}",
                n.method
            ));
        }
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let path = document_path(&doc.uri, &doc.language_id);
        let Some(kind) = crate::discover::classify(&path) else {
            return;
        };
        if !kind.is_supported() {
            return;
        }
        let key = doc.uri.as_str().to_owned();
        self.documents.insert(
            key.clone(),
            Document {
                uri: doc.uri,
                text: doc.text,
                version: doc.version,
                kind,
                path,
            },
        );
        self.lint(&key);
        self.sql_changed(&key);
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_owned();
        let Some(doc) = self.documents.get_mut(&key) else {
            self.log(&format!(
                "querylint got changes for `{key}`, which is not open"
            ));
            return;
        };
        text::apply_changes(&mut doc.text, params.content_changes);
        doc.version = params.text_document.version;
        self.lint(&key);
        self.sql_changed(&key);
    }

    /// A `.sql` document changed, opened or closed: the other open `.sql`
    /// documents are linted again, as a migration's text is the history of
    /// the ones after it and the future of the ones before it.
    fn sql_changed(&mut self, key: &str) {
        let sql = |kind: FileKind| matches!(kind, FileKind::Sql | FileKind::MigrationSql);
        let Some(kind) = self
            .documents
            .get(key)
            .map(|d| d.kind)
            .or_else(|| crate::discover::classify(&document_path(&key.parse().ok()?, "")))
        else {
            return;
        };
        if !sql(kind) {
            return;
        }
        let others: Vec<String> = self
            .documents
            .iter()
            .filter(|(k, d)| k.as_str() != key && sql(d.kind))
            .map(|(k, _)| k.clone())
            .collect();
        for other in others {
            self.lint(&other);
        }
    }

    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let path = document_path(&params.text_document.uri, "");
        if is_config_file(&path) {
            self.config_changed();
        } else {
            // A migration's neighbours may have changed on disk.
            self.lint(params.text_document.uri.as_str());
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_owned();
        let Some(doc) = self.documents.remove(&key) else {
            return;
        };
        let written = {
            let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            shared.latest.remove(&key);
            shared.published.remove(&key);
            shared.written.remove(&key)
        };
        publish(
            &self.out,
            params.text_document.uri,
            written,
            Vec::new(),
            None,
        );
        // The file on disk stands for it again.
        if self.workspace_for(&doc.path).set_buffer(&doc.path, None) {
            self.facts_changed(&key);
        } else {
            self.sql_changed(&key);
        }
    }

    /// Files changed on disk: each one's facts are read again, and the open
    /// documents linted again if a configuration file or a fact changed.
    fn files_changed(&mut self, params: &Value) {
        let changes = params["changes"].as_array().cloned().unwrap_or_default();
        if changes.is_empty() {
            // The editor did not say which: read everything again.
            self.config_changed();
            return;
        }
        let mut relint = false;
        for change in changes {
            let Some(uri) = change["uri"].as_str().and_then(|u| u.parse::<Uri>().ok()) else {
                continue;
            };
            let path = document_path(&uri, "");
            if is_config_file(&path) {
                self.config_changed();
                return;
            }
            let open = self.documents.contains_key(uri.as_str());
            if !open {
                let workspaces: Vec<Arc<Workspace>> = self.workspaces.values().cloned().collect();
                let tool_config = crate::context::project::is_config_name(&path)
                    || crate::context::project::is_schema_name(&path);
                for ws in workspaces {
                    relint |= ws.file_changed(&path);
                    // A new or committed migration changes which ones
                    // already ran.
                    ws.forget_history();
                    if tool_config {
                        ws.forget_project();
                        relint = true;
                    }
                }
            }
        }
        if relint {
            self.facts_changed("");
        }
    }

    /// Asks the editor to say when files querylint reads change on disk, if
    /// it can: a module, a migration, a Prisma schema, a configuration file.
    fn watch_files(&self) {
        if !self.can_watch {
            return;
        }
        let patterns = [
            "**/*.{sql,ts,tsx,js,jsx,mjs,cjs,mts,cts,rs,prisma}",
            "**/{querylint,.querylint}.toml",
            "**/{sqlc.yaml,sqlc.yml,sqlc.json,Cargo.toml,package.json,_journal.json,migration_lock.toml}",
            "**/{drizzle.config,knexfile}.*",
        ];
        let watchers: Vec<Value> = patterns
            .iter()
            .map(|p| json!({ "globPattern": p }))
            .collect();
        let _ = self.out.send(Message::Request(Request::new(
            RequestId::from("querylint/watch".to_owned()),
            "client/registerCapability".to_owned(),
            json!({ "registrations": [{
                "id": "querylint-watch",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": { "watchers": watchers },
            }] }),
        )));
    }

    /// A fact changed with the document `key`'s text: lint the other open
    /// documents again.
    fn facts_changed(&mut self, key: &str) {
        let keys: Vec<String> = self
            .documents
            .keys()
            .filter(|k| k.as_str() != key)
            .cloned()
            .collect();
        for key in keys {
            self.lint(&key);
        }
    }

    /// A configuration file changed: read it again and lint every open
    /// document with what it says now. The workspaces are made anew.
    fn config_changed(&mut self) {
        self.workspaces.clear();
        self.configs = Arc::new(crate::config::Resolver::nearest(Default::default()));
        self.reported.clear();
        let keys: Vec<String> = self.documents.keys().cloned().collect();
        for key in keys {
            self.lint(&key);
        }
    }

    /// The workspace of a document: the project its path belongs to
    /// ([`crate::workspace::project_root`]). Each file of it is linted with the
    /// configuration file nearest it, or the defaults.
    fn workspace_for(&mut self, path: &Path) -> Arc<Workspace> {
        // A broken configuration file is said once; its documents get the
        // defaults.
        if let Err(e) = self.configs.for_path(path)
            && let Some(file) = self.configs.file_for(path)
            && self.reported.insert(file)
        {
            let _ = self.out.send(Message::Notification(Notification::new(
                "window/showMessage".to_owned(),
                json!({ "type": 1, "message": format!("querylint: {e}; using the default settings") }),
            )));
        }
        let folder = self
            .roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len());
        let root = crate::workspace::project_root(
            path,
            folder.map_or(crate::workspace::Fallback::None, |f| {
                crate::workspace::Fallback::WorkspaceFolder(f)
            }),
        );
        if let Some(found) = self.workspaces.get(&root) {
            return Arc::clone(found);
        }
        let ws = Arc::new(Workspace::new(&root, Arc::clone(&self.configs)));
        self.workspaces.insert(root, Arc::clone(&ws));
        ws
    }

    fn lint(&mut self, key: &str) {
        let Some(doc) = self.documents.get(key) else {
            return;
        };
        let path = doc.path.clone();
        let workspace = self.workspace_for(&path);
        let Some(doc) = self.documents.get(key) else {
            return;
        };
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .latest
            .insert(key.to_owned(), doc.version);
        let _ = self.jobs.send(Job {
            key: key.to_owned(),
            uri: doc.uri.clone(),
            version: doc.version,
            text: doc.text.clone(),
            kind: doc.kind,
            path,
            workspace,
        });
    }

    fn code_actions(&self, params: CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = params.text_document.uri;
        let mut actions = Vec::new();
        let mut file_rules = std::collections::HashSet::new();
        for diag in &params.context.diagnostics {
            let Some(data) = &diag.data else { continue };
            let edit = |edits: Vec<TextEdit>| WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), edits)])),
                ..Default::default()
            };
            let rule = data["rule"].as_str().unwrap_or("");
            if let Some(fix) = data.get("fix")
                && let Ok(edits) = serde_json::from_value::<Vec<TextEdit>>(fix["edits"].clone())
                && fix["safety"] != "display-only"
                && !edits.is_empty()
            {
                let safe = fix["safety"] == "safe";
                let title = fix["title"].as_str().unwrap_or("Fix");
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: if safe {
                        title.to_owned()
                    } else {
                        format!("{title} (unsafe: review the change)")
                    },
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diag.clone()]),
                    edit: Some(edit(edits)),
                    is_preferred: Some(safe),
                    ..Default::default()
                }));
            }
            if let Ok(line) = serde_json::from_value::<TextEdit>(data["ignoreLine"].clone()) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("Ignore `{rule}` here"),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diag.clone()]),
                    edit: Some(edit(vec![line])),
                    ..Default::default()
                }));
            }
            if file_rules.insert(rule.to_owned())
                && let Ok(file) = serde_json::from_value::<TextEdit>(data["ignoreFile"].clone())
            {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("Ignore `{rule}` in this file"),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diag.clone()]),
                    edit: Some(edit(vec![file])),
                    ..Default::default()
                }));
            }
        }
        actions
    }

    fn hover(&self, params: HoverParams) -> Option<Hover> {
        let at = params.text_document_position_params.position;
        let key = params
            .text_document_position_params
            .text_document
            .uri
            .as_str()
            .to_owned();
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let inside = |r: &lsp_types::Range| {
            (r.start.line, r.start.character) <= (at.line, at.character)
                && (at.line, at.character) <= (r.end.line, r.end.character)
        };
        let (range, rule) = shared
            .published
            .get(&key)?
            .iter()
            .find(|(r, _)| inside(r))?;
        let rule = crate::rules::find(rule)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: rule.doc.to_owned(),
            }),
            range: Some(*range),
        })
    }
}

/// The folders of the workspace, from `initialize`'s parameters: its
/// workspace folders, or its root URI, those that are local folders.
fn workspace_roots(params: &Value) -> Vec<PathBuf> {
    let folders = params["workspaceFolders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let uris: Vec<&str> = if folders.is_empty() {
        params["rootUri"].as_str().into_iter().collect()
    } else {
        folders.iter().filter_map(|f| f["uri"].as_str()).collect()
    };
    uris.into_iter()
        .filter_map(|uri| {
            let path = PathBuf::from(percent_decode(uri.strip_prefix("file://")?));
            path.is_dir().then_some(path)
        })
        .collect()
}

/// Whether the file is a querylint configuration file.
fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::config::FILE_NAMES.contains(&n))
}

/// The path a document stands for: its file, or for an unsaved one a name
/// whose extension is its language's.
fn document_path(uri: &Uri, language: &str) -> PathBuf {
    let text = uri.as_str();
    if let Some(rest) = text.strip_prefix("file://") {
        return PathBuf::from(percent_decode(rest));
    }
    let ext = match language {
        "typescript" => "ts",
        "typescriptreact" => "tsx",
        "javascript" => "js",
        "javascriptreact" => "jsx",
        "rust" => "rs",
        _ => "sql",
    };
    PathBuf::from(format!("untitled.{ext}"))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Publishes a document's diagnostics, under the URI as the editor wrote
/// it (`written`) if it differs from the server's form.
fn publish(
    out: &Sender<Message>,
    uri: Uri,
    written: Option<String>,
    diagnostics: Vec<LspDiagnostic>,
    version: Option<i32>,
) {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let method = "textDocument/publishDiagnostics".to_owned();
    let notification = match written {
        Some(written) => {
            let mut params = serde_json::to_value(params).unwrap_or(Value::Null);
            params["uri"] = Value::String(written);
            Notification { method, params }
        }
        None => Notification::new(method, params),
    };
    let _ = out.send(Message::Notification(notification));
}

/// Percent-encodes, in every `uri` string of a JSON value, the characters
/// a URI may not hold; returns each changed one as (new, as written).
fn sanitize(value: &mut Value, written: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(text) if k == "uri" => {
                        let encoded = encode_uri(text);
                        if encoded != *text {
                            written.push((encoded.clone(), std::mem::replace(text, encoded)));
                        }
                    }
                    other => sanitize(other, written),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| sanitize(v, written)),
        _ => {}
    }
}

/// A URI with the bytes RFC 3986 does not allow percent-encoded (a `%`
/// that starts an escape is kept).
fn encode_uri(text: &str) -> String {
    let bytes = text.as_bytes();
    let escape = |i: usize| {
        bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let mut out = String::with_capacity(text.len());
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric()
            || b"-._~:/?#@!$&'()*+,;=".contains(&b)
            || b == b'%' && escape(i);
        if allowed {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Lints what comes in, newest text of each document first-come, and
/// publishes what is still current. A document's text is its workspace's
/// buffer of the file before it is linted; if that changed a fact other
/// files depend on, the main thread is told to lint them again.
fn lint_loop(
    queue: &Receiver<Job>,
    out: &Sender<Message>,
    wake: &Sender<Message>,
    shared: &Mutex<Shared>,
) {
    while let Ok(first) = queue.recv() {
        let mut batch: Vec<Job> = vec![first];
        for job in queue.try_iter() {
            batch.retain(|j| j.key != job.key);
            batch.push(job);
        }
        for job in batch {
            let current = |shared: &Shared| shared.latest.get(&job.key) == Some(&job.version);
            if !current(&shared.lock().unwrap_or_else(|e| e.into_inner())) {
                continue;
            }
            let lines = Lines::new(&job.text);
            let newline = if job.text.contains("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                job.workspace.set_buffer(&job.path, Some(job.text.clone()));
                let sink = |_: &Path, _: &str, diags: Vec<Diagnostic>| diags;
                let mut outcome = job.workspace.lint_document(&job.path, &sink);
                // The editor applies one fix at a time: each is offered
                // only if its result is no worse.
                if let Outcome::Linted(diags) = &mut outcome {
                    job.workspace.judge_fixes(&job.path, &job.text, diags);
                }
                (job.workspace.take_facts_changed(), outcome)
            }));
            let diags = match linted {
                Ok((changed, outcome)) => {
                    if changed {
                        let _ = wake.send(Message::Notification(Notification::new(
                            FACTS_CHANGED.to_owned(),
                            Value::String(job.key.clone()),
                        )));
                    }
                    match outcome {
                        Outcome::Linted(diags) => diags,
                        Outcome::Skipped(reason) => {
                            let _ = out.send(transport::log(&format!(
                                "querylint: {} {reason}",
                                job.path.display()
                            )));
                            Vec::new()
                        }
                    }
                }
                Err(_) => {
                    let _ = out.send(transport::log(&format!(
                        "querylint failed while linting {}; this is a bug, please report it",
                        job.path.display()
                    )));
                    Vec::new()
                }
            };
            let lsp: Vec<LspDiagnostic> = diags
                .iter()
                .map(|d| to_lsp(&job, &lines, newline, d))
                .collect();
            let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
            if !current(&shared) {
                continue;
            }
            let spots = lsp
                .iter()
                .filter_map(|d| {
                    let rule = crate::rules::find(d.data.as_ref()?["rule"].as_str()?)?;
                    Some((d.range, rule.id))
                })
                .collect();
            shared.published.insert(job.key.clone(), spots);
            let written = shared.written.get(&job.key).cloned();
            publish(out, job.uri.clone(), written, lsp, Some(job.version));
        }
    }
}

/// A finding as the editor shows it, with the edits of its actions.
fn to_lsp(job: &Job, lines: &Lines, newline: &str, d: &Diagnostic) -> LspDiagnostic {
    let edit = |range: &std::ops::Range<usize>, text: &str| json!({ "range": lines.range(range), "newText": text });
    let fix = d.fix.as_ref().map(|f| {
        json!({
            "title": f.title,
            "safety": match f.safety {
                FixSafety::Safe => "safe",
                FixSafety::Unsafe => "unsafe",
                FixSafety::DisplayOnly => "display-only",
            },
            "edits": f.edits.iter().map(|e| edit(&e.range, &e.content)).collect::<Vec<_>>(),
        })
    });
    let (line_at, line_text) =
        crate::suppress::ignore_comment(&job.text, job.kind, d.range.start, d.rule, newline);
    let (file_at, file_text) =
        crate::suppress::ignore_file_comment(&job.text, job.kind, d.rule, newline);
    let mut message = d.message_with_help("\n\n");
    // A change to read is not an action: the message carries it, with why
    // it is not applied where it was held back.
    if let Some(f) = d
        .fix
        .as_ref()
        .filter(|f| f.safety == FixSafety::DisplayOnly)
    {
        message.push_str(&format!("\n\nSuggestion: {}", f.title));
    }
    LspDiagnostic {
        range: lines.range(&d.range),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.rule.to_owned())),
        code_description: rule_url(d.rule).map(|href| CodeDescription { href }),
        source: Some("querylint".to_owned()),
        message,
        related_information: (!d.labels.is_empty()).then(|| {
            d.labels
                .iter()
                .map(|l| DiagnosticRelatedInformation {
                    location: Location {
                        uri: job.uri.clone(),
                        range: lines.range(&l.range),
                    },
                    message: l.message.clone(),
                })
                .collect()
        }),
        tags: None,
        data: Some(json!({
            "rule": d.rule,
            "fix": fix,
            "ignoreLine": edit(&(line_at..line_at), &line_text),
            "ignoreFile": edit(&(file_at..file_at), &file_text),
        })),
    }
}
