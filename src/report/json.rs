//! `--format json`: one object with every diagnostic and a summary. The
//! shape is documented in the README and versioned by its `version` field.

use serde_json::{Value, json};

use super::{FileReport, Summary};
use crate::source::LineCol;

pub const VERSION: u32 = 1;

fn pos(p: LineCol) -> Value {
    json!({ "line": p.line, "column": p.column })
}

pub fn render(files: &[FileReport], summary: &Summary) -> String {
    let mut diagnostics = Vec::new();
    for file in files {
        for located in &file.diagnostics {
            let d = &located.diag;
            let labels: Vec<Value> = d
                .labels
                .iter()
                .zip(&located.label_positions)
                .map(|(l, &(start, end))| {
                    json!({ "start": pos(start), "end": pos(end), "message": l.message })
                })
                .collect();
            let fix = d.fix.as_ref().map(|fix| {
                let edits: Vec<Value> = fix
                    .edits
                    .iter()
                    .zip(&located.edit_positions)
                    .map(|(e, &(start, end))| {
                        json!({ "start": pos(start), "end": pos(end), "content": e.content })
                    })
                    .collect();
                json!({ "title": fix.title, "safety": fix.safety, "edits": edits })
            });
            diagnostics.push(json!({
                "rule": d.rule,
                "severity": d.severity,
                "path": file.path,
                "start": pos(located.start),
                "end": pos(located.end),
                "message": d.message,
                "help": d.help,
                "labels": labels,
                "fix": fix,
            }));
        }
    }
    let doc = json!({
        "version": VERSION,
        "diagnostics": diagnostics,
        "summary": {
            "files_linted": summary.files_linted,
            "files_skipped": summary.files_skipped,
            "diagnostics": summary.total(),
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
            "by_rule": summary.by_rule,
        },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
