//! `querylint server` spoken to as an editor would: JSON-RPC messages
//! framed with `Content-Length` on the binary's standard input and output.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{Value, json};

mod common;

/// How long to wait for a message the server must send.
const PATIENCE: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &std::path::Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_querylint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            loop {
                let mut length = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if out.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if out.read_exact(&mut body).is_err() {
                    return;
                }
                if tx
                    .send(serde_json::from_slice(&body).expect("JSON"))
                    .is_err()
                {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 1,
        };
        let root = file_uri(dir);
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": {} }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "querylint", "{init}");
        assert_eq!(
            init["result"]["capabilities"]["textDocumentSync"]["change"],
            2
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response, keeping nothing else.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The next message that `wanted` accepts; others are dropped.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if wanted(&m) => return m,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no such message within {PATIENCE:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        self.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
            ["params"]
            .clone()
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
    }

    /// `shutdown`, then `exit`: the exit code.
    fn stop(mut self) -> Option<i32> {
        let reply = self.request("shutdown", Value::Null);
        assert!(
            reply["result"].is_null() && reply.get("error").is_none(),
            "{reply}"
        );
        self.notify("exit", Value::Null);
        self.child.wait().unwrap().code()
    }
}

fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// Applies LSP text edits (UTF-16 positions) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (line, character) = (
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
        );
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize)
            .map(str::len)
            .sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<&Value> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(offset(&e["range"]["start"])));
    let mut out = text.to_owned();
    for e in edits {
        let (s, t) = (offset(&e["range"]["start"]), offset(&e["range"]["end"]));
        out.replace_range(s..t, e["newText"].as_str().unwrap());
    }
    out
}

#[test]
fn diagnostics_follow_the_text_and_fixes_apply() {
    let dir = common::tree(&[]);
    let path = dir.path().join("report.sql");
    let uri = file_uri(&path);
    let text = "SELECT '😀é' AS tag FROM t WHERE a = NULL LIMIT 1;\n";
    let mut client = Client::start(dir.path());
    client.open(&uri, "sql", text);
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], 1);
    let diags = published["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{published}");
    let d = &diags[0];
    assert_eq!(d["code"], "null-comparison");
    assert_eq!(d["severity"], 1);
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/rules/null-comparison.md")
    );
    // `= NULL` starts after 34 characters, one of them two UTF-16 units.
    assert_eq!(d["range"]["start"], json!({ "line": 0, "character": 35 }));
    assert_eq!(d["range"]["end"], json!({ "line": 0, "character": 41 }));

    // The quick fix, the line and the file ignore actions.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    )["result"]
        .clone();
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "Test with `IS NULL` (unsafe: review the change)",
            "Ignore `null-comparison` here",
            "Ignore `null-comparison` in this file",
        ]
    );
    let fix = actions[0]["edit"]["changes"][&uri]
        .as_array()
        .unwrap()
        .clone();
    let fixed = apply(text, &fix);
    assert_eq!(
        fixed,
        "SELECT '😀é' AS tag FROM t WHERE a IS NULL LIMIT 1;\n"
    );
    let ignore = actions[1]["edit"]["changes"][&uri]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        apply(text, &ignore),
        format!("-- querylint-ignore null-comparison: <reason>\n{text}")
    );

    // Hover on the finding shows the rule's doc.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 38 } }),
    );
    let doc = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(doc.starts_with("# null-comparison"), "{hover}");

    // The fix, sent back as an incremental change: the finding goes.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [ { "range": fix[0]["range"], "text": fix[0]["newText"] } ],
        }),
    );
    // (The version-1 diagnostics may come again first, once the workspace
    // has been read.)
    let published = client
        .wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 2)
        ["params"]
        .clone();
    assert_eq!(published["diagnostics"], json!([]));

    // Closing the document clears what was published.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    let closed = client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"].get("version").is_none()
    });
    assert_eq!(closed["params"]["diagnostics"], json!([]));
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn typescript_rust_and_migrations_are_linted_from_the_unsaved_text() {
    let dir = common::tree(&[
        (
            "migrations/0001_users.sql",
            b"CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        ),
        ("querylint.toml", b"extend-select = [\"n-plus-one\"]\n"),
    ]);
    let mut client = Client::start(dir.path());
    let ts = file_uri(&dir.path().join("src/sync.ts"));
    client.open(
        &ts,
        "typescript",
        "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function sync(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    await prisma.user.findUnique({ where: { id } });\n  }\n}\n",
    );
    let d = client.diagnostics(&ts);
    assert_eq!(d["diagnostics"][0]["code"], "n-plus-one", "{d}");
    assert_eq!(d["diagnostics"][0]["range"]["start"]["line"], 4);

    let rs = file_uri(&dir.path().join("src/tenant.rs"));
    client.open(
        &rs,
        "rust",
        "pub async fn scope(pool: &sqlx::PgPool, t: &str) {\n    sqlx::query(&format!(\"SET app.tenant = '{}'\", t)).execute(pool).await.unwrap();\n}\n",
    );
    let d = client.diagnostics(&rs);
    let codes: Vec<&str> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"interpolated-set"), "{d}");

    // A migration is linted after the ones on disk before it.
    let migration = file_uri(&dir.path().join("migrations/0002_email.sql"));
    client.open(
        &migration,
        "sql",
        "SET lock_timeout = '5s';\nCREATE INDEX users_email ON users (email);\n",
    );
    let d = client.diagnostics(&migration);
    assert_eq!(
        d["diagnostics"][0]["code"], "create-index-non-concurrently",
        "{d}"
    );
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn bad_input_gets_an_error_or_a_log_line_and_the_server_goes_on() {
    // The editor lints within the file time budget too; an unoptimised
    // test build needs more than the default for 10 MB.
    let dir = common::tree(&[("querylint.toml", b"file-timeout = 300\n")]);
    let mut client = Client::start(dir.path());
    client.send_raw("{this is not json");
    let logged = client.wait(|m| m["method"] == "window/logMessage");
    assert!(
        logged["params"]["message"]
            .as_str()
            .unwrap()
            .contains("could not read")
    );
    // An unknown method is an error response.
    let reply = client.request("textDocument/frobnicate", json!({}));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    // Parameters of the wrong shape.
    let reply = client.request("textDocument/hover", json!({ "position": 3 }));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    // A document that is not open: nothing to show.
    let reply = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere.sql" }, "position": { "line": 0, "character": 0 } }),
    );
    assert!(reply["result"].is_null(), "{reply}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///nowhere.sql", "version": 2 }, "contentChanges": [] }),
    );
    client.wait(|m| m["method"] == "window/logMessage");
    // A 10 MB document is linted without trouble.
    let big = file_uri(&dir.path().join("big.ts"));
    let mut text = "export const n = 1;\n".repeat(500_000);
    text.push_str("await pool.query(`SELECT id FROM t WHERE a = NULL LIMIT 1`);\n");
    client.open(&big, "typescript", &text);
    let d = client.diagnostics(&big);
    assert_eq!(
        d["diagnostics"][0]["code"], "null-comparison",
        "{}",
        d["diagnostics"]
    );
    assert_eq!(d["diagnostics"][0]["range"]["start"]["line"], 500_000);
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let dir = common::tree(&[]);
    let mut client = Client::start(dir.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_server_whose_client_went_away_stops() {
    let dir = common::tree(&[]);
    let mut client = Client::start(dir.path());
    drop(client.stdin);
    assert_eq!(client.child.wait().unwrap().code(), Some(1));
    // Before `initialize` too.
    let status = Command::new(env!("CARGO_BIN_EXE_querylint"))
        .arg("server")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn the_nearest_querylint_toml_applies_to_a_document() {
    let dir = common::tree(&[(
        "strict/querylint.toml",
        b"extend-select = [\"select-star\"]\n",
    )]);
    let mut client = Client::start(dir.path());
    let text = "SELECT * FROM users WHERE id = $1;\n";
    let strict = file_uri(&dir.path().join("strict/q.sql"));
    let plain = file_uri(&dir.path().join("plain/q.sql"));
    client.open(&strict, "sql", text);
    assert_eq!(
        client.diagnostics(&strict)["diagnostics"][0]["code"],
        "select-star"
    );
    client.open(&plain, "sql", text);
    assert_eq!(client.diagnostics(&plain)["diagnostics"], json!([]));
    // The file changes, the editor says so: documents are linted again.
    std::fs::write(dir.path().join("strict/querylint.toml"), "").unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [] }));
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == strict
            && m["params"]["diagnostics"] == json!([])
    });
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn clients_that_other_files_export_are_known_once_the_workspace_is_read() {
    let dir = common::tree(&[
        (
            "src/lib/store.ts",
            b"import { PrismaClient } from '@prisma/client';\nexport const store = new PrismaClient();\n",
        ),
        ("querylint.toml", b"extend-select = [\"n-plus-one\"]\n"),
    ]);
    let mut client = Client::start(dir.path());
    let uri = file_uri(&dir.path().join("src/sync.ts"));
    client.open(
        &uri,
        "typescript",
        "import { store } from './lib/store';\nexport async function sync(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    await store.user.findUnique({ where: { id } });\n  }\n}\n",
    );
    // The first diagnostics published already know the workspace's facts.
    let found = client.diagnostics(&uri);
    assert_eq!(found["diagnostics"][0]["code"], "n-plus-one", "{found}");
    assert_eq!(client.stop(), Some(0));
}

/// A small Next.js + Prisma app and an sqlx crate in one repository: a
/// route calls, in loops, a query function another module exports and a
/// client another module exports; a Rust job calls a query function of
/// another file of its crate in a loop.
fn one_project() -> tempfile::TempDir {
    common::tree(&[
        ("package.json", b"{ \"name\": \"shop\" }\n"),
        ("querylint.toml", b"extend-select = [\"n-plus-one\"]\n"),
        (
            "prisma/schema.prisma",
            b"model Customer {\n  id     String  @id\n  orders Order[]\n}\n\nmodel Order {\n  id         String   @id\n  customerId String\n  customer   Customer @relation(fields: [customerId], references: [id])\n}\n",
        ),
        (
            "src/lib/db.ts",
            b"import { PrismaClient } from '@prisma/client';\nexport const store = new PrismaClient();\n",
        ),
        (
            "src/lib/orders.ts",
            b"import { store } from './db';\n\nexport async function ordersOf(customerId: string) {\n  return store.order.findMany({ where: { customerId }, take: 50 });\n}\n",
        ),
        (
            "src/app/route.ts",
            b"import { ordersOf } from '@/lib/orders';\nimport { store } from '../lib/db';\n\nexport async function GET(req: { body: { ids: string[] } }) {\n  const out = [];\n  for (const id of req.body.ids) {\n    out.push(await ordersOf(id));\n    out.push(await store.customer.findUnique({ where: { id } }));\n  }\n  return out;\n}\n",
        ),
        ("jobs/Cargo.toml", b"[package]\nname = \"jobs\"\nversion = \"0.1.0\"\n"),
        (
            "jobs/src/repo.rs",
            b"pub async fn invoice_of(pool: &sqlx::PgPool, id: i64) -> sqlx::Result<i64> {\n    sqlx::query_scalar(\"SELECT total FROM invoices WHERE id = $1\")\n        .bind(id)\n        .fetch_one(pool)\n        .await\n}\n",
        ),
        (
            "jobs/src/send.rs",
            b"use crate::repo;\n\npub async fn send_all(pool: &sqlx::PgPool, ids: &[i64]) {\n    for id in ids {\n        let total = repo::invoice_of(pool, *id).await;\n        mail(total);\n    }\n    sqlx::query_file!(\"queries/mark.sql\").execute(pool).await;\n}\n",
        ),
        // Run by the job with `query_file!`: its findings are its own.
        (
            "jobs/queries/mark.sql",
            b"UPDATE invoices SET sent = true WHERE sent = NULL;\n",
        ),
    ])
}

/// `(rule, line, column)` of each finding in a JSON report for `path`;
/// lines and columns from 1.
fn cli_findings(report: &Value, path: &str) -> Vec<(String, u64, u64)> {
    let mut found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == path)
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["start"]["line"].as_u64().unwrap(),
                d["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn check_json(dir: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> Value {
    let args = [&["check", "--format", "json"][..], args].concat();
    let out = common::with_stdin(dir, &args, stdin.unwrap_or_default());
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_file_gets_the_same_findings_in_a_tree_alone_on_stdin_and_in_the_editor() {
    let dir = one_project();
    let whole = check_json(dir.path(), &[], None);
    let mut client = Client::start(dir.path());
    for (file, language, expected) in [
        (
            "src/app/route.ts",
            "typescript",
            // The query function of another module, and the client another
            // module exports, both called in the loop.
            vec![("n-plus-one", 7, 20), ("n-plus-one", 8, 35)],
        ),
        ("jobs/src/send.rs", "rust", vec![("n-plus-one", 5, 21)]),
    ] {
        let expected: Vec<(String, u64, u64)> = expected
            .into_iter()
            .map(|(r, l, c)| (r.to_owned(), l, c))
            .collect();
        let text = std::fs::read(dir.path().join(file)).unwrap();
        let in_tree = cli_findings(&whole, file);
        assert_eq!(in_tree, expected, "{file} in the tree: {whole}");
        let alone = check_json(dir.path(), &[file], None);
        assert_eq!(
            cli_findings(&alone, file),
            expected,
            "{file} alone: {alone}"
        );
        let stdin = check_json(dir.path(), &["--stdin-filename", file], Some(&text));
        assert_eq!(
            cli_findings(&stdin, file),
            expected,
            "{file} on stdin: {stdin}"
        );
        let uri = file_uri(&dir.path().join(file));
        client.open(&uri, language, std::str::from_utf8(&text).unwrap());
        let published = client.diagnostics(&uri);
        let mut in_editor: Vec<(String, u64, u64)> = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_owned(),
                    d["range"]["start"]["line"].as_u64().unwrap() + 1,
                    d["range"]["start"]["character"].as_u64().unwrap() + 1,
                )
            })
            .collect();
        in_editor.sort();
        assert_eq!(in_editor, expected, "{file} in the editor: {published}");
    }
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn editing_a_module_updates_the_open_files_that_use_it() {
    let dir = one_project();
    let mut client = Client::start(dir.path());
    let route = file_uri(&dir.path().join("src/app/route.ts"));
    let orders = file_uri(&dir.path().join("src/lib/orders.ts"));
    let route_text = std::fs::read_to_string(dir.path().join("src/app/route.ts")).unwrap();
    client.open(&route, "typescript", &route_text);
    assert_eq!(
        client.diagnostics(&route)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // `ordersOf` stops being a query helper in the editor's buffer and
    // calls another service: the route's loop is per-item work now, and
    // neither call is reported, though the file on disk still says
    // otherwise.
    let service = "export async function ordersOf(customerId: string) {\n  return fetch(`/orders/${customerId}`);\n}\n";
    client.open(&orders, "typescript", service);
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == route
            && m["params"]["diagnostics"].as_array().unwrap().is_empty()
    });
    // Closed, the file on disk stands for it again.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": orders } }),
    );
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == route
            && m["params"]["diagnostics"].as_array().unwrap().len() == 2
    });
    // A file that is not open changes on disk, and the editor says so.
    std::fs::write(dir.path().join("src/lib/orders.ts"), service).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": orders, "type": 2 }] }),
    );
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == route
            && m["params"]["diagnostics"].as_array().unwrap().is_empty()
    });
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn open_migrations_are_each_other_s_history_and_ignored_files_say_nothing() {
    let dir = common::tree(&[
        (
            "db/migrations/001_init.sql",
            b"CREATE TABLE accounts (id bigint PRIMARY KEY, status varchar(20) NOT NULL);\nCREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id));\n",
        ),
        (
            "db/migrations/002_widen.sql",
            b"ALTER TABLE accounts ALTER COLUMN status TYPE varchar(50);\n",
        ),
        (".gitignore", b"/src/legacy/\n"),
        (
            "src/lib/db.ts",
            b"import { PrismaClient } from '@prisma/client';\nexport const store = new PrismaClient();\n",
        ),
        (
            "src/legacy/audit.ts",
            b"import { store } from '../lib/db';\nexport async function auditOrder(id: string) {\n  return store.order.findFirst({ where: { id } });\n}\n",
        ),
        (
            "src/report.ts",
            b"import { auditOrder } from './legacy/audit';\nexport async function report(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    await auditOrder(id);\n  }\n}\n",
        ),
    ]);
    let mut client = Client::start(dir.path());
    let uri = |p: &str| file_uri(&dir.path().join(p));
    let (first, second) = (
        uri("db/migrations/001_init.sql"),
        uri("db/migrations/002_widen.sql"),
    );
    let codes = |published: &Value| -> Vec<String> {
        published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    client.open(
        &second,
        "sql",
        "ALTER TABLE accounts ALTER COLUMN status TYPE varchar(50);\n",
    );
    assert!(!codes(&client.diagnostics(&second)).contains(&"change-column-type".to_owned()));
    // The first migration's unsaved text makes the column `text`: widening
    // it to varchar now rewrites the table.
    client.open(
        &first,
        "sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, status text NOT NULL);\nCREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id));\n",
    );
    let before = client.diagnostics(&first);
    assert!(
        codes(&before).contains(&"foreign-key-without-index".to_owned()),
        "{before}"
    );
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == second
            && codes(&m["params"]).contains(&"change-column-type".to_owned())
    });
    // A new migration, not saved yet, indexes the foreign key: the first
    // migration's finding about it goes.
    client.open(
        &uri("db/migrations/003_index.sql"),
        "sql",
        "CREATE INDEX CONCURRENTLY events_account_idx ON events (account_id);\n",
    );
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == first
            && !codes(&m["params"]).contains(&"foreign-key-without-index".to_owned())
    });
    // A file git ignores says nothing to the others, open or not.
    let report = uri("src/report.ts");
    let text = std::fs::read_to_string(dir.path().join("src/report.ts")).unwrap();
    client.open(&report, "typescript", &text);
    assert_eq!(client.diagnostics(&report)["diagnostics"], json!([]));
    let legacy = std::fs::read_to_string(dir.path().join("src/legacy/audit.ts")).unwrap();
    client.open(&uri("src/legacy/audit.ts"), "typescript", &legacy);
    client.diagnostics(&uri("src/legacy/audit.ts"));
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": report, "version": 2 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(client.diagnostics(&report)["diagnostics"], json!([]));
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn a_uri_written_with_brackets_or_spaces_is_linted_and_answered_as_written() {
    let dir = common::tree(&[]);
    let mut client = Client::start(dir.path());
    // As editors that do not percent-encode paths send a Next.js route.
    let raw = format!(
        "file://{}/app/users/[id] page/route.ts",
        dir.path().display()
    );
    client.open(
        &raw,
        "typescript",
        "await pool.query(`SELECT id FROM t WHERE a = NULL LIMIT 1`);\n",
    );
    let published = client.diagnostics(&raw);
    assert_eq!(
        published["diagnostics"][0]["code"], "null-comparison",
        "{published}"
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": raw },
            "range": published["diagnostics"][0]["range"],
            "context": { "diagnostics": published["diagnostics"] },
        }),
    );
    assert!(
        actions["result"].as_array().is_some_and(|a| !a.is_empty()),
        "{actions}"
    );
    assert_eq!(client.stop(), Some(0));
}

/// The titles of the code actions offered for the first finding of `rule`
/// in the diagnostics published for version `version` of `uri`, and the
/// finding.
fn actions_for(client: &mut Client, uri: &str, version: u64, rule: &str) -> (Vec<String>, Value) {
    let published = client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["version"] == version
    })["params"]
        .clone();
    let d = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {published}"))
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    )["result"]
        .clone();
    let titles = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, d)
}

/// Asserts that the `CREATE INDEX` of version 1 of `uri` is offered no
/// `CONCURRENTLY` action, and that its message says `why`.
fn held_back(client: &mut Client, uri: &str, why: &str) {
    let (titles, d) = actions_for(client, uri, 1, "create-index-non-concurrently");
    assert!(
        !titles.iter().any(|t| t.contains("CONCURRENTLY")),
        "{titles:?}"
    );
    assert!(d["message"].as_str().unwrap().contains(why), "{d}");
}

#[test]
fn the_editor_offers_no_fix_that_makes_a_migration_worse_or_edits_one_that_ran() {
    let dir = common::tree(&[(
        "prisma/migrations/1_init/migration.sql",
        b"CREATE TABLE \"User\" (\"id\" bigint PRIMARY KEY, \"email\" text);\nCREATE TABLE \"Post\" (\"id\" bigint PRIMARY KEY);\n",
    )]);
    let git = |args: &[&str]| common::git(dir.path(), args);
    git(&["init", "-q", "-b", "main"]);
    let applied = "prisma/migrations/2_email/migration.sql";
    let index = "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n";
    std::fs::create_dir_all(dir.path().join("prisma/migrations/2_email")).unwrap();
    std::fs::write(dir.path().join(applied), index).unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "init"]);
    let mut client = Client::start(dir.path());

    // A new migration with two statements: `CONCURRENTLY` alone would put
    // the index in the migration's transaction, so it is not offered.
    let new = file_uri(&dir.path().join("prisma/migrations/3_post/migration.sql"));
    let two = "CREATE INDEX \"Post_id_idx\" ON \"Post\"(\"id\");\nALTER TABLE \"Post\" ADD COLUMN \"title\" text;\n";
    client.open(&new, "sql", two);
    held_back(
        &mut client,
        &new,
        "not applied: the result would have a new `concurrently-in-transaction` error",
    );
    // Alone in a new migration, it is.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": new, "version": 2 },
            "contentChanges": [ { "text": "CREATE INDEX \"Post_id_idx\" ON \"Post\"(\"id\");\n" } ],
        }),
    );
    let (titles, _) = actions_for(&mut client, &new, 2, "create-index-non-concurrently");
    assert!(
        titles.iter().any(|t| t.contains("CONCURRENTLY")),
        "{titles:?}"
    );

    // The same statement in a migration on `main`: a suggestion only.
    let old = file_uri(&dir.path().join(applied));
    client.open(&old, "sql", index);
    held_back(&mut client, &old, "this migration is already in");
    assert_eq!(client.stop(), Some(0));
}
