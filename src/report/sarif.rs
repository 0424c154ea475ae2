//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it.
//!
//! One run. `tool.driver.rules` lists every rule of the registry (so a
//! result's `ruleIndex` does not depend on which rules ran), with the doc's
//! summary, its text, and its markdown as help. A result's location is a
//! path relative to the working directory (`uriBaseId` `%SRCROOT%`, the
//! repository root where CI runs it) with 1-based lines and columns in
//! Unicode code points (`columnKind`). `partialFingerprints` carries the
//! finding's fingerprint, which does not change when lines move, so code
//! scanning keeps an alert open across unrelated edits. Fixes other than
//! suggestions are carried as SARIF `fixes`.

use serde_json::{Value, json};

use super::{FileReport, Located};
use crate::diagnostic::{FixSafety, Severity};
use crate::rules::RULES;
use crate::source::LineCol;

/// GitHub reads at most this many results of a run.
pub const MAX_RESULTS: usize = 25_000;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `not-in-subquery` as `NotInSubquery`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A path as a relative URI reference: `/` separators, and the characters
/// a URI cannot hold percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.replace('\\', "/").chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' | '@' | '+' | '=' => {
                out.push(c)
            }
            other => {
                let mut buf = [0; 4];
                for b in other.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn region(start: LineCol, end: LineCol) -> Value {
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn rule_descriptor(rule: &crate::rules::Rule) -> Value {
    json!({
        "id": rule.id,
        "name": pascal(rule.id),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": rule.summary() },
        "help": {
            "text": format!("{} Run `querylint explain {}` for the rule's documentation.", rule.summary(), rule.id),
            "markdown": rule.doc,
        },
        "helpUri": format!("{}/blob/main/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), rule.id),
        "defaultConfiguration": {
            "level": level(rule.severity),
            "enabled": rule.default_enabled,
        },
        "properties": {
            "tags": [rule.category.as_str()],
        },
    })
}

fn result(path: &str, located: &Located) -> Value {
    let d = &located.diag;
    let index = RULES.iter().position(|r| r.id == d.rule);
    let artifact = json!({ "uri": uri(path), "uriBaseId": "%SRCROOT%" });
    let message = d.message_with_help("\n");
    let mut out = json!({
        "ruleId": d.rule,
        "level": level(d.severity),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact,
                "region": region(located.start, located.end),
            }
        }],
        "partialFingerprints": { "querylint/v1": located.fingerprint },
    });
    if let Some(i) = index {
        out["ruleIndex"] = json!(i);
    }
    if !d.labels.is_empty() {
        out["relatedLocations"] = d
            .labels
            .iter()
            .zip(&located.label_positions)
            .enumerate()
            .take(20)
            .map(|(i, (l, &(s, e)))| {
                json!({
                    "id": i,
                    "message": { "text": l.message },
                    "physicalLocation": { "artifactLocation": artifact, "region": region(s, e) },
                })
            })
            .collect();
    }
    if let Some(fix) = &d.fix
        && fix.safety != FixSafety::DisplayOnly
        && !fix.edits.is_empty()
    {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .zip(&located.edit_positions)
            .map(|(e, &(s, end))| {
                json!({
                    "deletedRegion": region(s, end),
                    "insertedContent": { "text": e.content },
                })
            })
            .collect();
        let safety = if fix.safety == FixSafety::Safe {
            ""
        } else {
            " (unsafe: review the change)"
        };
        out["fixes"] = json!([{
            "description": { "text": format!("{}{safety}", fix.title) },
            "artifactChanges": [{ "artifactLocation": artifact, "replacements": replacements }],
        }]);
    }
    out
}

/// The SARIF log of a run. Results past [`MAX_RESULTS`] are left out; the
/// second value says how many.
pub fn render(files: &[FileReport]) -> (String, usize) {
    let mut results = Vec::new();
    let mut dropped = 0;
    for file in files {
        for located in &file.diagnostics {
            if results.len() < MAX_RESULTS {
                results.push(result(&file.path, located));
            } else {
                dropped += 1;
            }
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "querylint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": RULES.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    (text, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal("not-in-subquery"), "NotInSubquery");
        assert_eq!(uri("db/my file#1.sql"), "db/my%20file%231.sql");
        assert_eq!(uri("src\\ü.ts"), "src/%C3%BC.ts");
    }
}
