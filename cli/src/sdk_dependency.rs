//! The `theater-sdk` path dependency in an actor project's root `Cargo.toml`: where it points,
//! and repointing it. Edited with toml_edit, so the user's formatting and comments survive.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

/// The SDK's package name, as projects depend on it.
const SDK_PACKAGE: &str = "theater-sdk";

/// Where a project may declare the SDK, in the order they are looked at: generated projects
/// use `[workspace.dependencies]` so every member of the project shares one declaration.
const TABLES: [&[&str]; 2] = [&["workspace", "dependencies"], &["dependencies"]];

/// A `Cargo.toml` that cannot be read or edited.
#[derive(Debug, thiserror::Error)]
pub enum SdkDependencyError {
    #[error("{origin} is not valid TOML: {reason}")]
    Parse { origin: String, reason: String },
    #[error("{origin} declares no `theater-sdk` path dependency under [workspace.dependencies] or [dependencies]")]
    Missing { origin: String },
}

/// The `theater-sdk` dependency's `path` as written (relative paths are relative to the
/// `Cargo.toml`), or `None` if the SDK is not a path dependency.
pub fn sdk_path(text: &str, origin: &str) -> Result<Option<PathBuf>, SdkDependencyError> {
    let doc = parse(text, origin)?;
    let root = doc.as_item();
    Ok(declaration(root).and_then(|keys| {
        lookup(root, &keys)?
            .get("path")?
            .as_str()
            .map(PathBuf::from)
    }))
}

/// `text` with the `theater-sdk` dependency pointing at `path`.
pub fn set_sdk_path(text: &str, origin: &str, path: &Path) -> Result<String, SdkDependencyError> {
    let mut doc = parse(text, origin)?;
    let keys = declaration(doc.as_item()).ok_or_else(|| SdkDependencyError::Missing {
        origin: origin.to_string(),
    })?;
    // The keys exist (that is what `declaration` checks), so indexing finds rather than creates.
    let item = keys
        .iter()
        .fold(doc.as_item_mut(), |item, key| &mut item[*key]);
    item["path"] = toml_edit::value(path.display().to_string());
    Ok(doc.to_string())
}

fn parse(text: &str, origin: &str) -> Result<DocumentMut, SdkDependencyError> {
    text.parse()
        .map_err(|e: toml_edit::TomlError| SdkDependencyError::Parse {
            origin: origin.to_string(),
            reason: e.to_string(),
        })
}

/// The keys of the SDK's table-like declaration, e.g. `workspace.dependencies.theater-sdk`.
fn declaration(root: &Item) -> Option<Vec<&'static str>> {
    TABLES
        .iter()
        .map(|table| [*table, &[SDK_PACKAGE]].concat())
        .find(|keys| lookup(root, keys).is_some_and(Item::is_table_like))
}

fn lookup<'a>(root: &'a Item, keys: &[&str]) -> Option<&'a Item> {
    keys.iter().try_fold(root, |item, key| item.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "[package]\nname = \"a\"\n\n[workspace.dependencies]\n# the SDK\ntheater-sdk = { path = \"old\" }\n";

    #[test]
    fn repoints_and_keeps_comments() {
        let edited = set_sdk_path(
            PROJECT,
            "Cargo.toml",
            Path::new("/home/u/.theater/sdk/0.1.0/sdk"),
        )
        .unwrap();
        assert!(edited.contains("# the SDK"), "{edited}");
        assert_eq!(
            sdk_path(&edited, "Cargo.toml").unwrap(),
            Some(PathBuf::from("/home/u/.theater/sdk/0.1.0/sdk"))
        );
    }

    #[test]
    fn finds_plain_dependencies_too() {
        let text = "[dependencies.theater-sdk]\npath = \"../sdk\"\n";
        assert_eq!(
            sdk_path(text, "Cargo.toml").unwrap(),
            Some(PathBuf::from("../sdk"))
        );
        let edited = set_sdk_path(text, "Cargo.toml", Path::new("/x")).unwrap();
        assert_eq!(
            sdk_path(&edited, "Cargo.toml").unwrap(),
            Some(PathBuf::from("/x"))
        );
    }

    #[test]
    fn no_sdk_is_not_an_error_to_read_but_is_to_edit() {
        assert_eq!(sdk_path("[package]\nname = \"a\"\n", "C").unwrap(), None);
        assert!(matches!(
            set_sdk_path("[package]\n", "C", Path::new("/x")),
            Err(SdkDependencyError::Missing { .. })
        ));
        assert!(matches!(
            sdk_path("[package", "C"),
            Err(SdkDependencyError::Parse { .. })
        ));
    }
}
