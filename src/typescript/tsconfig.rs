//! What a `tsconfig.json` says about module specifiers: `baseUrl` and
//! `paths`, so `import { load } from '@acme/orders'` names the file `tsc`
//! would load. The text is JSONC (comments and trailing commas), read with
//! `jsonc-parser`; `extends` chains are followed by the caller, which owns
//! the file system.

use std::path::{Path, PathBuf};

use crate::discover::normalize;

/// One configuration file's own settings, before `extends`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TsConfig {
    /// The configurations it extends, as written, in order.
    pub extends: Vec<String>,
    /// `compilerOptions.baseUrl`, resolved against the file's folder.
    pub base_url: Option<PathBuf>,
    /// `compilerOptions.paths`, with the file's folder: their targets are
    /// relative to the `baseUrl` in force, else to that folder.
    pub paths: Option<(Vec<(String, Vec<String>)>, PathBuf)>,
}

/// Reads a configuration file's text; `dir` is its folder. Text that is
/// not JSONC gives `None`: the project's aliases are then guessed as
/// before.
pub fn parse(text: &str, dir: &Path) -> Option<TsConfig> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        ..Default::default()
    };
    let value: serde_json::Value = jsonc_parser::parse_to_serde_value(text, &options).ok()?;
    let extends = match value.get("extends") {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let options = value.get("compilerOptions");
    let base_url = options
        .and_then(|o| o.get("baseUrl"))
        .and_then(|b| b.as_str())
        .map(|b| normalize(&dir.join(b)));
    let paths = options
        .and_then(|o| o.get("paths"))
        .and_then(|p| p.as_object())
        .map(|map| {
            let mut paths: Vec<(String, Vec<String>)> = map
                .iter()
                .map(|(pattern, targets)| {
                    let targets = targets
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .filter_map(|t| t.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (pattern.clone(), targets)
                })
                .collect();
            // The longest prefix before `*` wins, as in `tsc`.
            paths.sort_by_key(|(pattern, _)| {
                std::cmp::Reverse(pattern.find('*').unwrap_or(pattern.len() + 1))
            });
            (paths, dir.to_path_buf())
        });
    Some(TsConfig {
        extends,
        base_url,
        paths,
    })
}

/// The aliases in force for the files under one configuration, its
/// `extends` chain merged: the nearest file that sets each option wins.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Aliases {
    pub base_url: Option<PathBuf>,
    pub paths: Option<(Vec<(String, Vec<String>)>, PathBuf)>,
}

impl Aliases {
    /// Merges a chain, nearest configuration first.
    pub fn of(chain: &[TsConfig]) -> Aliases {
        let base_url = chain.iter().find_map(|c| c.base_url.clone());
        let paths = chain
            .iter()
            .find_map(|c| c.paths.clone())
            .map(|(paths, dir)| {
                let root = base_url.clone().unwrap_or(dir);
                (paths, root)
            });
        Aliases { base_url, paths }
    }

    /// The paths a specifier may name, in the order `tsc` tries them:
    /// each target of the first matching `paths` pattern, then the
    /// specifier under `baseUrl`. Relative specifiers are not aliases.
    pub fn candidates(&self, spec: &str) -> Vec<PathBuf> {
        if spec.starts_with('.') || spec.starts_with('/') {
            return Vec::new();
        }
        let mut found = Vec::new();
        if let Some((paths, root)) = &self.paths {
            let matched = paths.iter().find_map(|(pattern, targets)| {
                let captured = match pattern.split_once('*') {
                    Some((prefix, suffix)) => spec
                        .strip_prefix(prefix)
                        .and_then(|rest| rest.strip_suffix(suffix))?,
                    None if pattern == spec => "",
                    None => return None,
                };
                Some((targets, captured))
            });
            if let Some((targets, captured)) = matched {
                found.extend(
                    targets
                        .iter()
                        .map(|t| normalize(&root.join(t.replacen('*', captured, 1)))),
                );
            }
        }
        if let Some(base) = &self.base_url {
            found.push(normalize(&base.join(spec)));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_base_url_name_files_as_tsc_would() {
        let text = r#"{
            // comments and trailing commas are allowed
            "extends": "../../tsconfig.base.json",
            "compilerOptions": {
                "baseUrl": "./src",
                "paths": {
                    "@/*": ["./*"],
                    "@orders/api/*": ["../../orders/src/api/*", "./legacy/*"],
                    "@db": ["../../../packages/db/src/index.ts"],
                },
            },
        }"#;
        let config = parse(text, Path::new("/repo/apps/web")).unwrap();
        assert_eq!(config.extends, vec!["../../tsconfig.base.json"]);
        let aliases = Aliases::of(&[config]);
        assert_eq!(
            aliases.candidates("@orders/api/load"),
            vec![
                PathBuf::from("/repo/apps/orders/src/api/load"),
                PathBuf::from("/repo/apps/web/src/legacy/load"),
                PathBuf::from("/repo/apps/web/src/@orders/api/load"),
            ]
        );
        assert_eq!(
            aliases.candidates("@db")[0],
            PathBuf::from("/repo/packages/db/src/index.ts")
        );
        assert_eq!(
            aliases.candidates("lib/orders"),
            vec![PathBuf::from("/repo/apps/web/src/lib/orders")]
        );
        assert!(aliases.candidates("./orders").is_empty());
        assert!(parse("{ not json", Path::new("/repo")).is_none());
    }

    #[test]
    fn the_nearest_configuration_that_sets_an_option_wins() {
        let child = parse(
            r#"{ "compilerOptions": { "paths": { "~/*": ["app/*"] } } }"#,
            Path::new("/r/web"),
        )
        .unwrap();
        let parent = parse(
            r##"{ "compilerOptions": { "baseUrl": ".", "paths": { "#/*": ["x/*"] } } }"##,
            Path::new("/r"),
        )
        .unwrap();
        let aliases = Aliases::of(&[child, parent]);
        assert_eq!(aliases.base_url, Some(PathBuf::from("/r")));
        // `paths` is relative to the inherited `baseUrl`.
        assert_eq!(
            aliases.candidates("~/posts")[0],
            PathBuf::from("/r/app/posts")
        );
        assert!(aliases.candidates("#/posts").len() == 1);
    }
}
