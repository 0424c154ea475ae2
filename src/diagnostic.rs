//! The one diagnostic type every output format adapts.

use std::ops::Range;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Shown, but never fails a run.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// How far a fix can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixSafety {
    /// Keeps the meaning of the code; applied by `--fix`.
    Safe,
    /// May change behaviour; the rule's doc says how. Applied only on request.
    Unsafe,
    /// A suggestion to read, never applied.
    DisplayOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, in the imperative: "Replace `= NULL` with `IS NULL`".
    pub title: String,
    pub safety: FixSafety,
    /// Whether the edits' ranges are in the host file already. A rule's
    /// edits are in its SQL unit and the engine maps them, unless they
    /// change host code around the SQL (the call that sends it).
    pub in_host: bool,
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A change to read, never applied: what to write instead where no
    /// mechanical rewrite keeps the code's meaning.
    pub fn suggestion(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            safety: FixSafety::DisplayOnly,
            in_host: false,
            edits,
        }
    }

    /// Holds the fix back: it becomes a suggestion whose title says `why`
    /// it is not applied. A suggestion already stays as it is.
    pub fn withhold(&mut self, why: &str) {
        if self.safety != FixSafety::DisplayOnly {
            self.safety = FixSafety::DisplayOnly;
            self.title = format!("{} — not applied: {why}", self.title);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub range: Range<usize>,
    pub message: String,
    /// Whether `range` is already in the host file (a label on the code
    /// around the SQL, such as where a value comes from), not in the unit.
    pub in_host: bool,
}

/// A finding. Rules build it with ranges in their SQL unit; the engine fills
/// in the rule and severity and maps every range into the host file, so what
/// leaves the engine always points into the file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub range: Range<usize>,
    pub message: String,
    pub help: Option<String>,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(range: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: "",
            severity: Severity::Warning,
            range,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            fix: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            range,
            message: message.into(),
            in_host: false,
        });
        self
    }

    /// A label on the host file around the SQL, such as where a pasted
    /// value comes from.
    pub fn host_label(mut self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            range,
            message: message.into(),
            in_host: true,
        });
        self
    }

    /// Attaches a fix, or none: `.fix(rule_fix(...))` where the rule
    /// offers one only sometimes.
    pub fn fix(mut self, fix: impl Into<Option<Fix>>) -> Self {
        self.fix = fix.into();
        self
    }

    /// The message, then the help after `separator`: for outputs that have
    /// one text field (SARIF, annotations, editors).
    pub fn message_with_help(&self, separator: &str) -> String {
        match &self.help {
            Some(help) => format!("{}{separator}{help}", self.message),
            None => self.message.clone(),
        }
    }
}
