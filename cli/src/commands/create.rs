//! `theater create`: a new actor project from an embedded template, depending on the SDK
//! this binary carries (written to `$THEATER_HOME/sdk/<version>/`) or on a working copy.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use theater_runtime::paths::theater_home;

use crate::cli::CreateArgs;
use crate::output::display_path;
use crate::sdk_dependency::set_sdk_path;
use crate::sdk_home::ensure_installed;
use crate::template::{render, ProjectName, Template};

/// `data_dir` (`--data-dir`) stands in for `$THEATER_HOME` as the place the SDK is written.
pub fn create(args: CreateArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let name = ProjectName::parse(&args.name)?;
    let dir = args
        .output_dir
        .as_deref()
        .unwrap_or(Path::new("."))
        .join(&name.crate_name);
    let dir = std::path::absolute(&dir)
        .with_context(|| format!("cannot make {} absolute", dir.display()))?;
    check_destination(&dir, args.force)?;

    let sdk = match &args.sdk_path {
        Some(path) => working_copy(path)?,
        None => ensure_installed(&data_dir.unwrap_or_else(theater_home))?.0,
    };
    let sdk = std::path::absolute(&sdk)
        .with_context(|| format!("cannot make {} absolute", sdk.display()))?;

    let mut files = render(args.template, &name)?;
    for file in files.iter_mut().filter(|f| f.path == "Cargo.toml") {
        let text = String::from_utf8_lossy(&file.contents);
        file.contents = set_sdk_path(&text, "the template's Cargo.toml", &sdk)?.into_bytes();
    }
    for file in &files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let shown = display_path(&dir);
    println!(
        "Created actor project {} (template {}) in {shown}",
        name.crate_name,
        args.template.name()
    );
    println!("  SDK: {}", sdk.display());
    let (run, test) = try_it(args.template);
    println!("\nNext:\n  cd {shown}\n  theater build\n  {run}\n  {test}");
    Ok(ExitCode::SUCCESS)
}

/// The project directory must be new or empty, unless `--force`.
fn check_destination(dir: &Path, force: bool) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!("{} exists and is not a directory\n  hint: choose another name, or another place with --output-dir", display_path(dir));
    }
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", display_path(dir)))?;
    if entries.next().is_some() && !force {
        bail!(
            "{} already exists and is not empty\n  hint: choose another name or --output-dir, or pass --force to write the project into it (files with the same names are replaced)",
            display_path(dir)
        );
    }
    Ok(())
}

/// `--sdk-path`: must be the theater-sdk crate, e.g. the `sdk/` directory of a checkout.
fn working_copy(path: &Path) -> anyhow::Result<PathBuf> {
    let manifest = path.join("Cargo.toml");
    let name = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(str::to_string));
    if name.as_deref() != Some("theater-sdk") {
        bail!(
            "--sdk-path {} is not the theater-sdk crate (no Cargo.toml there with name = \"theater-sdk\")\n  hint: pass the sdk/ directory of a Theater checkout, or leave --sdk-path out to use the SDK this theater carries",
            path.display()
        );
    }
    Ok(path.to_path_buf())
}

/// The commands that show a new project of this template running, and its native tests.
fn try_it(template: Template) -> (&'static str, &'static str) {
    match template {
        Template::Basic => ("theater run manifest.toml", "cargo test"),
        Template::MessageServer => (
            r#"theater run manifest.toml --send '{"add":2}' --send '{"increment":{}}' --request '{"get":{}}'"#,
            "cargo test",
        ),
        Template::Supervisor => (
            r#"theater run manifest.toml --send '{"add":2}' --request '{"total":{}}'"#,
            "cargo test --workspace",
        ),
        Template::Http => (
            "theater run manifest.toml   # then: curl http://127.0.0.1:8080/hello",
            "cargo test",
        ),
    }
}
