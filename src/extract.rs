//! Turning a host file into SQL units.
//!
//! A unit is a piece of SQL text together with everything needed to report
//! on it in the host file: a map from unit offsets to host offsets, the places
//! where the host language splices values in, and where the SQL came from.
//! For a `.sql` file the unit is the whole text; the TypeScript and Rust front
//! ends produce one unit per query they find.

use std::ops::Range;

use crate::discover::FileKind;

/// One contiguous run of unit text that stands unchanged in the host file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub unit_start: usize,
    pub host_start: usize,
    pub len: usize,
}

/// Unit text that stands for host text of another length: a placeholder for
/// an interpolation `${x}`, or the character an escape sequence `\n` means.
/// A range that starts in it starts at the host text's start; one that ends
/// in it ends at the host text's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    pub unit: Range<usize>,
    pub host: Range<usize>,
}

/// Maps byte offsets in a unit to byte offsets in its host file.
///
/// Segments are sorted and do not overlap. Text between segments in the unit
/// maps to its [`Opaque`] host text if it has one, else to the host position
/// where the previous segment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetMap {
    segments: Vec<Segment>,
    opaque: Vec<Opaque>,
}

impl OffsetMap {
    /// A unit that is a verbatim slice of the host starting at `host_start`.
    pub fn shifted(host_start: usize, len: usize) -> Self {
        OffsetMap {
            segments: vec![Segment {
                unit_start: 0,
                host_start,
                len,
            }],
            opaque: Vec::new(),
        }
    }

    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self::with_opaque(segments, Vec::new())
    }

    pub fn with_opaque(mut segments: Vec<Segment>, mut opaque: Vec<Opaque>) -> Self {
        segments.sort_by_key(|s| s.unit_start);
        opaque.sort_by_key(|o| o.unit.start);
        OffsetMap { segments, opaque }
    }

    /// Host offset for a unit offset used as the start of a range: at a
    /// boundary between two segments it is the start of the later one.
    pub fn host_start(&self, offset: usize) -> usize {
        self.map(offset, true)
    }

    /// Host offset for a unit offset used as the end of a range: at a
    /// boundary between two segments it is the end of the earlier one.
    pub fn host_end(&self, offset: usize) -> usize {
        self.map(offset, false)
    }

    /// The map of a unit that is the slice `range` of this map's unit.
    pub fn slice(&self, range: Range<usize>) -> OffsetMap {
        let segments = self
            .segments
            .iter()
            .filter_map(|s| {
                let start = s.unit_start.max(range.start);
                let end = (s.unit_start + s.len).min(range.end);
                (start < end).then(|| Segment {
                    unit_start: start - range.start,
                    host_start: s.host_start + (start - s.unit_start),
                    len: end - start,
                })
            })
            .collect();
        let opaque = self
            .opaque
            .iter()
            .filter(|o| o.unit.start >= range.start && o.unit.end <= range.end)
            .map(|o| Opaque {
                unit: o.unit.start - range.start..o.unit.end - range.start,
                host: o.host.clone(),
            })
            .collect();
        OffsetMap { segments, opaque }
    }

    pub fn host_range(&self, range: Range<usize>) -> Range<usize> {
        let start = self.host_start(range.start);
        let end = self.host_end(range.end).max(start);
        start..end
    }

    fn map(&self, offset: usize, prefer_later: bool) -> usize {
        let inside = self.opaque.iter().find(|o| {
            if prefer_later {
                o.unit.start <= offset && offset < o.unit.end
            } else {
                o.unit.start < offset && offset <= o.unit.end
            }
        });
        if let Some(o) = inside {
            return if prefer_later {
                o.host.start
            } else {
                o.host.end
            };
        }
        let Some(first) = self.segments.first() else {
            return 0;
        };
        let idx = if prefer_later {
            self.segments.partition_point(|s| s.unit_start <= offset)
        } else {
            self.segments.partition_point(|s| s.unit_start < offset)
        };
        if idx == 0 {
            return first.host_start;
        }
        let seg = &self.segments[idx - 1];
        seg.host_start + (offset - seg.unit_start).min(seg.len)
    }
}

/// Where a unit's SQL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub kind: FileKind,
    /// The database API that receives the SQL, such as `sqlx::query!` or
    /// `prisma.$queryRaw`; `None` for a `.sql` file.
    pub api: Option<String>,
    /// Whether the SQL is assembled at run time (string interpolation,
    /// concatenation, `format!`). Fixes on such SQL are never safe.
    pub assembled_at_runtime: bool,
    /// Whether the SQL goes through a connection pool (`pool.query`, a
    /// client checked out of a pool), so session state it sets outlives
    /// the request.
    pub pooled: bool,
    /// Whether the code reads at most one row of the result (sqlx's
    /// `fetch_one`/`fetch_optional`, tokio-postgres's `query_one`), or
    /// none (`execute`).
    pub one_row: bool,
    /// Unit ranges where an application's own template placeholders
    /// (`sqlc.arg(id)`, `:name`, `%order%`) were masked to parse: a fix
    /// that touches their statement would write the mask.
    pub masked: Vec<Range<usize>>,
    /// Whether the sink runs whatever text it is handed, and says so
    /// (`$queryRawUnsafe`, `sql.unsafe`, `sql.raw`): a pasted value whose
    /// origin is unknown is reported there, not only request data.
    pub unchecked_sink: bool,
    /// The unit's placeholders (`$1`) whose bound value is a string that
    /// starts with a wildcard, such as `` `%${q}%` `` in the parameter list
    /// or in a binding tag's template: a `LIKE` on one scans every row.
    pub wildcard_values: Vec<String>,
    /// Host range of the head of a loop that runs the SQL once per page
    /// with a value an earlier iteration set (an offset that grows, a page
    /// counter): the loop walks a table page by page.
    pub walked_by: Option<Range<usize>>,
}

/// A value the host language splices into the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolation {
    /// Where the placeholder that stands for the value sits in the unit.
    pub unit_range: Range<usize>,
    /// The host expression, for example `${id}` in a template literal.
    pub host_range: Range<usize>,
    /// Whether the value is pasted into the SQL text (not bound as a
    /// parameter) and may carry SQL: its provenance is not safe, and it is
    /// a value rather than a fragment of SQL built elsewhere (request data
    /// is never a fragment).
    pub spliced: bool,
    /// Where the value comes from.
    pub provenance: crate::model::Provenance,
    /// Whether the value stands where the statement names its table
    /// (`FROM ${t}`, `UPDATE "${t}_log"`).
    pub names_table: bool,
    /// When the value is a parameter of an exported function, whose
    /// callers decide what it holds.
    pub caller: Option<crate::model::CallerParameter>,
}

/// The call that sends a unit's SQL, as far as a fix that changes how
/// values reach the database needs it. Ranges are in the host file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// The SQL argument as written in the call (a template literal,
    /// `&format!(...)`), which a fix replaces whole.
    pub argument: Range<usize>,
    /// Where a bound value goes, and the code that adds it, with `{}` for
    /// the value: `, [{}]` after a JavaScript client's SQL argument,
    /// `.bind({})` after a sqlx call.
    pub bind: (usize, &'static str),
    /// How the call's SQL names its first bound value: `$1`, or `?`.
    pub placeholder: &'static str,
    /// A method to rename so that the call takes values: tokio-postgres'
    /// `batch_execute` becomes `execute`.
    pub rename: Option<(Range<usize>, &'static str)>,
    /// The host source of each value the SQL splices, by its host range.
    pub values: Vec<(Range<usize>, String)>,
}

impl CallSite {
    /// A call site whose values are read from the host text at the unit's
    /// spliced interpolations, without the host's own brackets (`${id}`
    /// and `{id}` are `id`).
    pub fn new(
        host: &str,
        unit: &SqlUnit,
        argument: Range<usize>,
        bind: (usize, &'static str),
        placeholder: &'static str,
        rename: Option<(Range<usize>, &'static str)>,
    ) -> CallSite {
        let values = unit
            .interpolations
            .iter()
            .filter_map(|i| {
                let src = host.get(i.host_range.clone())?;
                let src = src
                    .strip_prefix("${")
                    .or_else(|| src.strip_prefix('{'))
                    .map_or(src, |s| s.strip_suffix('}').unwrap_or(s));
                Some((i.host_range.clone(), src.trim().to_owned()))
            })
            .collect();
        CallSite {
            argument,
            bind,
            placeholder,
            rename,
            values,
        }
    }
}

/// A piece of SQL to lint, with the way back to its host file.
#[derive(Debug, Clone)]
pub struct SqlUnit {
    pub text: String,
    pub map: OffsetMap,
    pub interpolations: Vec<Interpolation>,
    pub origin: Origin,
    /// The call that sends it, where the front end knows it.
    pub call: Option<CallSite>,
}

impl SqlUnit {
    /// About how many bytes the unit holds, itself and on the heap.
    pub fn weight(&self) -> usize {
        use std::mem::size_of;
        size_of::<SqlUnit>()
            + self.text.capacity()
            + self.map.segments.capacity() * size_of::<Segment>()
            + self.map.opaque.capacity() * size_of::<Opaque>()
            + self.interpolations.capacity() * size_of::<Interpolation>()
            + self.origin.api.as_ref().map_or(0, String::capacity)
            + self.origin.masked.capacity() * size_of::<Range<usize>>()
            + self
                .origin
                .wildcard_values
                .iter()
                .map(String::capacity)
                .sum::<usize>()
    }
}

const BOM: &str = "\u{feff}";

/// The unit of a `.sql` file: the whole text, less a leading byte order mark,
/// with template placeholders made parseable (see [`blank_templates`]).
pub fn sql_file_unit(text: &str, kind: FileKind) -> SqlUnit {
    let skip = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[skip..];
    let (text, masked) = crate::mask::mask_placeholders(&blank_templates(body));
    SqlUnit {
        text,
        map: OffsetMap::shifted(skip, body.len()),
        interpolations: Vec::new(),
        origin: Origin {
            kind,
            api: None,
            assembled_at_runtime: false,
            pooled: false,
            one_row: false,
            masked,
            unchecked_sink: false,
            wildcard_values: Vec::new(),
            walked_by: None,
        },
        call: None,
    }
}

/// Makes the placeholders of SQL templates parseable without moving a byte:
/// a Go or Jinja expression `{{ ... }}` (`{{ index .Options "Namespace" }}`,
/// `{{ ref('users') }}`) becomes an identifier of underscores of the same
/// length, and a Jinja statement `{% ... %}` becomes spaces, as does dbt's
/// `{{ config(...) }}`, which renders as nothing; these two may span lines,
/// whose line breaks stay. An array literal such as `'{{1,2},{3,4}}'` is
/// left alone: any other placeholder starts with a letter, `.`, `-` or `_`
/// and ends on the same line.
pub fn blank_templates(text: &str) -> String {
    if !text.contains("{{") && !text.contains("{%") {
        return text.to_owned();
    }
    let mut out = text.as_bytes().to_vec();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let (close, fill) = match &bytes[i..i + 2] {
            b"{{" => ("}}", b'_'),
            b"{%" => ("%}", b' '),
            _ => {
                i += 1;
                continue;
            }
        };
        let rest = &text[i + 2..];
        // dbt's `{{ config(...) }}` and Jinja statements such as `{% set x =
        // ... %}`, often written over several lines.
        let inner = rest.trim_start_matches([' ', '\t', '\r', '\n', '-', '+']);
        let spread = if fill == b'_' {
            inner.starts_with("config(")
        } else {
            inner.starts_with(|c: char| c.is_ascii_alphabetic())
        };
        if spread && let Some(end) = rest.find(close) {
            let stop = i + 2 + end + 2;
            for b in &mut out[i..stop] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
            i = stop;
            continue;
        }
        let first = rest.trim_start_matches([' ', '-', '+']).chars().next();
        let line_end = rest.find('\n').unwrap_or(rest.len());
        match rest[..line_end].find(close) {
            Some(end) if first.is_some_and(|c| c.is_alphabetic() || c == '.' || c == '_') => {
                let stop = i + 2 + end + 2;
                out[i..stop].fill(fill);
                i = stop;
            }
            _ => i += 2,
        }
    }
    // Only ASCII bytes were replaced, each by an ASCII byte.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_placeholders_become_identifiers_of_the_same_length() {
        let sql = "CREATE TABLE {{ index .Options \"Namespace\" }}.users (a int[] DEFAULT '{{1,2},{3,4}}');\n{% if x %}SELECT 1;{% endif %}";
        let out = blank_templates(sql);
        assert_eq!(out.len(), sql.len());
        assert!(out.starts_with("CREATE TABLE _______"), "{out}");
        assert!(out.contains("'{{1,2},{3,4}}'"));
        assert!(out.ends_with("          SELECT 1;           "), "{out}");
        // dbt's model configuration renders as nothing.
        let model = "{{ config(materialized='table') }}\nselect id from {{ ref('users') }}";
        let out = blank_templates(model);
        let (config, query) = out.split_once('\n').unwrap();
        assert!(config.trim().is_empty(), "{out}");
        let model = "{{\n  config(\n    materialized='incremental'\n  )\n}}\nselect 1";
        let out = blank_templates(model);
        assert_eq!(out.len(), model.len());
        assert_eq!(out.lines().count(), model.lines().count());
        assert_eq!(out.trim(), "select 1", "{out}");
        let model = "{% set t = var('a') +\n  'b' %}\nselect 1";
        assert_eq!(blank_templates(model).trim(), "select 1");
        let reference = "{{ ref('users') }}";
        assert_eq!(
            query,
            format!("select id from {}", "_".repeat(reference.len()))
        );
    }

    #[test]
    fn boundaries_between_segments_map_to_the_side_the_range_needs() {
        // Unit `a = $1 x` where `$1` stands for a host `${v}` at 10..14.
        let map = OffsetMap::from_segments(vec![
            Segment {
                unit_start: 0,
                host_start: 6,
                len: 4,
            },
            Segment {
                unit_start: 6,
                host_start: 14,
                len: 2,
            },
        ]);
        assert_eq!(map.host_start(0), 6);
        assert_eq!(map.host_end(4), 10);
        assert_eq!(map.host_start(6), 14);
        assert_eq!(map.host_end(6), 10);
        assert_eq!(map.host_range(0..8), 6..16);
    }

    #[test]
    fn a_slice_maps_through_its_parent() {
        let map = OffsetMap::from_segments(vec![
            Segment {
                unit_start: 0,
                host_start: 6,
                len: 4,
            },
            Segment {
                unit_start: 6,
                host_start: 14,
                len: 4,
            },
        ]);
        let sub = map.slice(2..8);
        assert_eq!(sub.host_range(0..2), 8..10);
        assert_eq!(sub.host_range(4..6), 14..16);
    }

    #[test]
    fn a_bom_is_not_part_of_the_unit() {
        let unit = sql_file_unit("\u{feff}SELECT 1", FileKind::Sql);
        assert_eq!(unit.text, "SELECT 1");
        assert_eq!(unit.map.host_range(0..6), 3..9);
    }
}
