//! Which configuration applies to a file: the nearest `querylint.toml` (or
//! `.querylint.toml`) in its folder or above, or the one file `--config`
//! names, or none with `--isolated`; with the command line's options over
//! it. Each file is read and checked once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Config, Effective, Options, load};

/// Where a run's configurations come from.
#[derive(Clone, Debug)]
enum Source {
    /// The nearest file above each path.
    Nearest,
    /// This file for every path (`--config`), or none (`--isolated`).
    Fixed(Option<PathBuf>),
}

/// The configuration of each file of a run, found and read once per file.
pub struct Resolver {
    source: Source,
    options: Options,
    /// The configuration file found from each folder (`None`: none).
    found: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    /// Each configuration file read, or why it could not be.
    read: Mutex<HashMap<Option<PathBuf>, Result<Arc<Effective>, String>>>,
}

impl Resolver {
    /// Each path gets the nearest configuration file above it.
    pub fn nearest(options: Options) -> Resolver {
        Resolver::new(Source::Nearest, options)
    }

    /// Every path gets this file (`Some`), or no file (`None`).
    pub fn fixed(file: Option<PathBuf>, options: Options) -> Resolver {
        Resolver::new(Source::Fixed(file), options)
    }

    fn new(source: Source, options: Options) -> Resolver {
        Resolver {
            source,
            options,
            found: Default::default(),
            read: Default::default(),
        }
    }

    /// The configuration file that applies to `path` (a file or folder),
    /// if any.
    pub fn file_for(&self, path: &Path) -> Option<PathBuf> {
        if path.is_dir() {
            self.file_in(path)
        } else {
            self.file_of(path)
        }
    }

    /// The configuration file that applies to the file at `path`.
    pub fn file_of(&self, path: &Path) -> Option<PathBuf> {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => self.file_in(p),
            _ => self.file_in(Path::new(".")),
        }
    }

    /// The configuration file that applies to the files of `folder`.
    pub fn file_in(&self, folder: &Path) -> Option<PathBuf> {
        if let Source::Fixed(file) = &self.source {
            return file.clone();
        }
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = found.get(folder) {
            return file.clone();
        }
        let absolute = crate::discover::absolute(folder);
        let file = Self::nearest_file(&mut found, &absolute);
        found.insert(folder.to_path_buf(), file.clone());
        file
    }

    /// The nearest configuration file of an absolute folder: its own, else
    /// its parent's, each folder looked at once.
    fn nearest_file(
        found: &mut HashMap<PathBuf, Option<PathBuf>>,
        folder: &Path,
    ) -> Option<PathBuf> {
        if let Some(file) = found.get(folder) {
            return file.clone();
        }
        let own = super::FILE_NAMES
            .iter()
            .map(|name| folder.join(name))
            .find(|p| p.is_file());
        let file = match own {
            Some(file) => Some(file),
            None => match folder.parent() {
                Some(parent) => Self::nearest_file(found, parent),
                None => None,
            },
        };
        found.insert(folder.to_path_buf(), file.clone());
        file
    }

    /// The configuration of the file at `path` (see [`Resolver::for_path`]),
    /// without asking the file system whether it is a folder.
    pub fn for_file(&self, path: &Path) -> Result<Arc<Effective>, String> {
        self.read(self.file_of(path))
    }

    /// The configuration of `path`: its file's settings with the options
    /// over them, or why the file cannot be used (it does not parse, it
    /// names an unknown rule...).
    pub fn for_path(&self, path: &Path) -> Result<Arc<Effective>, String> {
        self.read(self.file_for(path))
    }

    /// The configuration a file gives (`None`: no file), read once.
    pub fn read(&self, file: Option<PathBuf>) -> Result<Arc<Effective>, String> {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.entry(file)
            .or_insert_with_key(|file| {
                let config = match file {
                    Some(f) => load(f).map_err(|e| e.to_string())?,
                    None => Config::default(),
                };
                config.effective(&self.options).map(Arc::new)
            })
            .clone()
    }
}
