//! `theater build`: cargo build for wasm32-unknown-unknown, componentize each cdylib in
//! process, and check each component's imports against every manifest in the project that
//! runs it, with the runtime's own rules and messages. Cargo's output streams through as is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;
use theater_runtime::manifest::type_for_interface;
use theater_runtime::paths::theater_home;
use theater_runtime::sandbox::{check_imports, component_imports};
use theater_runtime::Manifest;

use crate::cli::BuildArgs;
use crate::componentize::componentize;
use crate::output::{display_path, print_json};
use crate::project::{self, ActorCrate, Project};
use crate::sdk_dependency::{sdk_path, set_sdk_path};
use crate::sdk_home::{ensure_installed, sdk_crate};
use crate::shared_target;
use crate::toolchain::{cargo, ensure_wasm_target, run_visible, WASM_TARGET};

/// One component written by the build.
struct Built {
    package: String,
    path: PathBuf,
    size: u64,
    imports: Vec<String>,
    /// The manifests that run it (all checked).
    manifests: Vec<PathBuf>,
}

/// `data_dir` (`--data-dir`) stands in for `$THEATER_HOME` as the place the SDK is written.
pub fn build(args: BuildArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let home = data_dir.unwrap_or_else(theater_home);
    let result = build_project(&args, &home);
    let elapsed = started.elapsed();
    match result {
        Ok(built) if args.json => print_json(&json!({
            "ok": true,
            "profile": profile(&args),
            "duration_ms": elapsed.as_millis() as u64,
            "components": built.iter().map(|b| json!({
                "package": b.package,
                "path": b.path,
                "size": b.size,
                "imports": b.imports,
                "capabilities": capabilities(&b.imports),
                "manifests": b.manifests,
            })).collect::<Vec<_>>(),
        })),
        Ok(built) => report(&built, profile(&args), elapsed),
        Err(e) if args.json => {
            print_json(&json!({"ok": false, "error": format!("{e:#}")}));
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e),
    }
    Ok(ExitCode::SUCCESS)
}

fn profile(args: &BuildArgs) -> &'static str {
    if args.debug {
        "debug"
    } else {
        "release"
    }
}

fn build_project(args: &BuildArgs, home: &Path) -> anyhow::Result<Vec<Built>> {
    let dir = args.dir.as_deref().unwrap_or(Path::new("."));
    let root_manifest = project::workspace_manifest(&project::find_cargo_toml(dir)?)?;
    ensure_sdk(&root_manifest, home)?;
    let root = root_manifest.parent().unwrap_or(Path::new("."));
    ensure_wasm_target(root)?;
    let mut project = project::describe(&root_manifest)?;

    let mut cmd = cargo();
    cmd.args(["build", "--lib", "--target", WASM_TARGET, "--manifest-path"])
        .arg(&root_manifest);
    // Held until the components are read: another project may build into the same place.
    let shared = shared_target::choose(&project, home)
        .map(|dir| shared_target::enter(dir, &project, &root_manifest))
        .transpose()?;
    if let Some(shared) = &shared {
        cmd.env("CARGO_TARGET_DIR", &shared.dir);
        project.target_dir = shared.dir.clone();
    }
    if !args.debug {
        cmd.arg("--release");
    }
    if project.offline {
        cmd.arg("--offline");
    }
    for actor in &project.actors {
        cmd.args(["-p", &actor.package]);
    }
    if !run_visible(&mut cmd)? {
        bail!("cargo build failed (its messages are above)");
    }

    let built = project
        .actors
        .iter()
        .map(|actor| componentize_actor(&project, actor, profile(args)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    check_manifests(&project, built)
}

/// Make sure the `theater-sdk` path dependency exists: (re)write this binary's SDK when the
/// project uses it and it is missing or stale, and repoint a dependency on an SDK directory
/// that no longer exists (e.g. another theater version's, or a deleted checkout).
fn ensure_sdk(root_manifest: &Path, home: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(root_manifest)
        .with_context(|| format!("cannot read {}", root_manifest.display()))?;
    let origin = display_path(root_manifest);
    let Some(declared) = sdk_path(&text, &origin)? else {
        return Ok(());
    };
    let declared = std::path::absolute(
        root_manifest
            .parent()
            .unwrap_or(Path::new("."))
            .join(declared),
    )?;
    let home = std::path::absolute(home)?;
    let version = env!("CARGO_PKG_VERSION");
    let ours = sdk_crate(&home);
    let same = declared == ours
        || declared
            .canonicalize()
            .is_ok_and(|d| ours.canonicalize().is_ok_and(|o| d == o));
    if same {
        if ensure_installed(&home)?.1 {
            eprintln!(
                "wrote the Theater SDK {version} to {} (it was missing or out of date)",
                declared.display()
            );
        }
    } else if !declared.join("Cargo.toml").is_file() {
        let (installed, _) = ensure_installed(&home)?;
        std::fs::write(root_manifest, set_sdk_path(&text, &origin, &installed)?)
            .with_context(|| format!("cannot write {origin}"))?;
        eprintln!(
            "note: theater-sdk pointed at {}, which does not exist; {origin} now uses the SDK of theater {version} at {}",
            declared.display(),
            installed.display()
        );
    }
    Ok(())
}

/// Turn cargo's core module into `<root>/target/theater/<package>.wasm` and read its imports.
fn componentize_actor(
    project: &Project,
    actor: &ActorCrate,
    profile: &str,
) -> anyhow::Result<Built> {
    let module = project
        .target_dir
        .join(WASM_TARGET)
        .join(profile)
        .join(format!("{}.wasm", actor.lib_name));
    let core = std::fs::read(&module).with_context(|| {
        format!(
            "cargo built {} but {} cannot be read",
            actor.package,
            module.display()
        )
    })?;
    let component = componentize(&core, &display_path(&module))?;
    let out_dir = project.root.join("target").join("theater");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let path = out_dir.join(format!("{}.wasm", actor.package));
    std::fs::write(&path, &component)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let imports = component_imports(&component, &display_path(&path))?;
    Ok(Built {
        package: actor.package.clone(),
        path,
        size: component.len() as u64,
        imports,
        manifests: Vec::new(),
    })
}

/// Check every manifest that runs a built component against the component's imports; all
/// mismatches are reported together, each with the runtime's message naming the line to add.
fn check_manifests(project: &Project, mut built: Vec<Built>) -> anyhow::Result<Vec<Built>> {
    let mut refusals = Vec::new();
    for found in project::find_manifests(&project.root, &project.target_dir) {
        let Ok(component) = found.component.canonicalize() else {
            continue;
        };
        let Some(b) = built
            .iter_mut()
            .find(|b| b.path.canonicalize().is_ok_and(|p| p == component))
        else {
            continue;
        };
        let origin = display_path(&found.path);
        let base = found.path.parent().unwrap_or(&project.root);
        let manifest = Manifest::parse(&found.text, base, &origin)?;
        if let Err(e) = check_imports(
            &b.imports,
            &manifest.granted_interfaces(),
            &manifest.name,
            &origin,
        ) {
            refusals.push(format!(
                "{} was built, but {origin} does not let it run:\n{e}",
                display_path(&b.path)
            ));
        }
        b.manifests.push(found.path);
    }
    if !refusals.is_empty() {
        bail!("{}", refusals.join("\n"));
    }
    Ok(built)
}

/// The handler types a component's imports need (`runtime`, `message-server`, ...); imports
/// no handler serves are shown as they are.
fn capabilities(imports: &[String]) -> Vec<String> {
    imports
        .iter()
        .filter(|i| i.as_str() != "theater:simple/types")
        .map(|i| {
            type_for_interface(i.split('@').next().unwrap_or(i))
                .map_or_else(|| i.clone(), str::to_string)
        })
        .collect()
}

fn report(built: &[Built], profile: &str, elapsed: Duration) {
    for b in built {
        println!(
            "{}  {:.1} KiB",
            display_path(&b.path),
            b.size as f64 / 1024.0
        );
        println!("  capabilities: {}", capabilities(&b.imports).join(", "));
        if b.manifests.is_empty() {
            println!("  manifests:    none in the project runs it (nothing checked)");
        } else {
            let names: Vec<String> = b.manifests.iter().map(|m| display_path(m)).collect();
            println!("  manifests:    {} (imports granted)", names.join(", "));
        }
    }
    println!(
        "built {} component{} ({profile}) in {:.1} s",
        built.len(),
        if built.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64()
    );
}
