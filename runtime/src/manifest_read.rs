//! Reading a manifest: the file (a regular file, size-limited), its form — native, or the
//! original Theater's, converted by `manifest_upstream` — and the files it names, resolved
//! against its directory and checked to exist.

use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::manifest::{line_of, toml_error, Manifest, ManifestError, RawManifest, UpstreamNote};

impl Manifest {
    /// Read and validate a top-level manifest file; relative paths resolve against its
    /// directory, except an original-format filesystem `path`, which resolves against this
    /// process's working directory (as the original Theater resolved it).
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let cwd = std::env::current_dir().map_err(|source| ManifestError::Read {
            path: PathBuf::from("."),
            source,
        })?;
        Manifest::load_in(path, &cwd)
    }

    /// [`Manifest::load`] with the working directory given (the one `theater start` ran in).
    pub fn load_in(path: &Path, working_dir: &Path) -> Result<Manifest, ManifestError> {
        let (text, base) = Manifest::read(path)?;
        Manifest::parse_checked(&text, &base, &path.display().to_string(), Some(working_dir))
    }

    /// [`Manifest::load_in`] without checking that its `component` and `init_state` exist
    /// (to convert a manifest before its component is built).
    pub fn load_unchecked(path: &Path, working_dir: &Path) -> Result<Manifest, ManifestError> {
        let (text, base) = Manifest::read(path)?;
        let origin = path.display().to_string();
        Manifest::parse_text(&text, &base, &origin, Some(working_dir), false)
    }

    /// Read and validate a child's manifest file: every relative path, an original-format
    /// filesystem `path` included, resolves against its directory.
    pub fn load_child(path: &Path) -> Result<Manifest, ManifestError> {
        let (text, base) = Manifest::read(path)?;
        Manifest::parse_checked(&text, &base, &path.display().to_string(), None)
    }

    /// The text of a manifest file and its directory, canonicalised.
    fn read(path: &Path) -> Result<(String, PathBuf), ManifestError> {
        let bytes = crate::manifest_files::read_regular(
            path,
            crate::manifest_files::MAX_MANIFEST_BYTES,
            "manifest",
        )?;
        let text = String::from_utf8(bytes).map_err(|_| ManifestError::Semantic {
            origin: path.display().to_string(),
            message: "the manifest is not UTF-8 text".into(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let base = std::fs::canonicalize(&base).unwrap_or(base);
        Ok((text, base))
    }

    /// Parse manifest text; `base_dir` resolves relative paths (an original-format
    /// filesystem `path` too), `origin` names it in errors.
    pub fn parse(text: &str, base_dir: &Path, origin: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse_checked(text, base_dir, origin, None)
    }

    /// Parse a manifest recorded in a chain: its files may have moved since (a replay can
    /// be given another component), so their existence is not checked.
    pub fn parse_recorded(
        text: &str,
        base_dir: &Path,
        origin: &str,
    ) -> Result<Manifest, ManifestError> {
        Manifest::parse_text(text, base_dir, origin, None, false)
    }

    fn parse_checked(
        text: &str,
        base_dir: &Path,
        origin: &str,
        working_dir: Option<&Path>,
    ) -> Result<Manifest, ManifestError> {
        Manifest::parse_text(text, base_dir, origin, working_dir, true)
    }

    /// Parse either form. An original-format manifest's filesystem `path` resolves against
    /// `working_dir` when given (a top-level manifest), else against `base_dir`.
    fn parse_text(
        text: &str,
        base_dir: &Path,
        origin: &str,
        working_dir: Option<&Path>,
        check_files: bool,
    ) -> Result<Manifest, ManifestError> {
        let Form {
            raw,
            upstream,
            source,
        } = Form::read(text, origin, working_dir.unwrap_or(base_dir))?;
        raw.check_values(origin)?;
        let named = NamedFiles {
            text,
            origin,
            base_dir,
            check_files,
        };
        let component = named.file(
            &raw.component,
            "component",
            "run `theater build` in the actor's project, or fix",
        )?;
        let init_state = match &raw.init_state {
            Some(spanned) => Some(named.file(spanned, "init_state", "create it or fix")?),
            None => None,
        };
        Ok(Manifest {
            name: raw.name,
            version: raw.version,
            component,
            init_state,
            restart: raw.restart,
            supervision: raw.supervision,
            limits: raw.limits,
            handlers: raw.handlers,
            base_dir: base_dir.to_path_buf(),
            origin: origin.to_string(),
            source,
            upstream,
        })
    }
}

/// A manifest read in its form: the native fields, the note on an original-format one, and
/// the native text the chain records.
struct Form {
    raw: RawManifest,
    upstream: Option<UpstreamNote>,
    source: String,
}

impl Form {
    /// `paths_from` resolves an original-format filesystem `path`.
    fn read(text: &str, origin: &str, paths_from: &Path) -> Result<Form, ManifestError> {
        if crate::manifest_upstream::is_upstream(text) {
            let converted = crate::manifest_upstream::convert(text, origin, paths_from)?;
            let source = converted.native_text(origin)?;
            return Ok(Form {
                raw: converted.raw,
                upstream: Some(converted.note),
                source,
            });
        }
        let raw = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
        Ok(Form {
            raw,
            upstream: None,
            source: text.to_string(),
        })
    }
}

/// Resolves the files a manifest names against its directory, and checks they exist.
struct NamedFiles<'a> {
    text: &'a str,
    origin: &'a str,
    base_dir: &'a Path,
    check_files: bool,
}

impl NamedFiles<'_> {
    /// The file `key = "..."` names; missing (when checked), an error naming its line with
    /// `fix` as the hint.
    fn file(
        &self,
        named: &Spanned<String>,
        key: &str,
        fix: &str,
    ) -> Result<PathBuf, ManifestError> {
        let path = resolve(self.base_dir, named.get_ref());
        if self.check_files && !path.is_file() {
            return Err(ManifestError::Invalid {
                origin: self.origin.to_string(),
                line: line_of(self.text, named.span().start),
                message: format!(
                    "{key} file {} does not exist\n  hint: {fix} `{key} = \"{}\"` (paths are relative to the manifest)",
                    path.display(),
                    named.get_ref()
                ),
            });
        }
        Ok(path)
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
