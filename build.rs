//! Builds the portal's style sheets, scripts and images from `web/` with npm into `OUT_DIR`, and
//! writes the table that embeds them in the binary (`src/portal/assets.rs` includes it).
//!
//! It runs only when its inputs changed: `npm ci` (the one step that needs the network) when
//! `web/node_modules` is missing or was installed from another `web/package-lock.json`, then
//! `npm run build`. Without npm, or when npm fails, the build goes on with a warning: the binary
//! then keeps the assets of its last good build, or has none and serves unstyled pages. Where an
//! unstyled binary must not be made (an image, CI), `GRANTFUND_REQUIRE_ASSETS=1` turns that
//! warning into a failed build.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Set (to anything but `0`) to fail the build when the assets cannot be built.
const REQUIRE: &str = "GRANTFUND_REQUIRE_ASSETS";

/// What the asset build reads; `web/node_modules` and the output are left out on purpose, or
/// every build would run it again.
const INPUTS: [&str; 5] = [
    "web/package.json",
    "web/package-lock.json",
    "web/build.mjs",
    "web/styles",
    "web/scripts",
];

fn main() {
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed={REQUIRE}");
    let (Some(manifest), Some(out)) = (env::var_os("CARGO_MANIFEST_DIR"), env::var_os("OUT_DIR"))
    else {
        panic!("cargo sets CARGO_MANIFEST_DIR and OUT_DIR for build scripts");
    };
    let web = PathBuf::from(manifest).join("web");
    let out = PathBuf::from(out);
    let assets = out.join("assets");
    if let Err(problem) = build(&web, &assets) {
        if env::var_os(REQUIRE).is_some_and(|v| !v.is_empty() && v != "0") {
            panic!("{problem} ({REQUIRE} is set)");
        }
        for line in problem.lines() {
            println!("cargo:warning={line}");
        }
        println!(
            "cargo:warning={}",
            if assets.join("portal.css").is_file() {
                "this build keeps the portal's assets of the last build that made them"
            } else {
                "the portal's pages will be unstyled until the assets are built"
            }
        );
    }
    let table = table(&assets);
    let path = out.join("assets.rs");
    if fs::read_to_string(&path).ok().as_deref() != Some(table.as_str())
        && let Err(error) = fs::write(&path, table)
    {
        panic!("cannot write {}: {error}", path.display());
    }
}

/// Runs `npm ci` if needed and `npm run build` into a fresh folder, which replaces `assets` only
/// when the build succeeded.
fn build(web: &Path, assets: &Path) -> Result<(), String> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if let Err(error) = Command::new(npm).arg("--version").output() {
        // Looked for again whenever a folder on PATH changes, so that installing npm is enough.
        if let Some(path) = env::var_os("PATH") {
            for dir in env::split_paths(&path).filter(|d| d.is_dir()) {
                println!("cargo:rerun-if-changed={}", dir.display());
            }
        }
        println!("cargo:rerun-if-env-changed=PATH");
        return Err(format!(
            "the portal's assets were not built: `{npm}` cannot be run ({error}); \
             install Node.js 20 or later with npm and build again"
        ));
    }
    if needs_install(web) {
        run(Command::new(npm)
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .arg("--loglevel=error")
            .current_dir(web))
        .map_err(|e| {
            format!(
                "`npm ci` in web/ failed, so the portal's assets were not built: {e}; once npm \
                 can reach its registry, `touch web/package-lock.json` and build again"
            )
        })?;
        installed(web);
    }
    let fresh = assets.with_extension("new");
    let _ = fs::remove_dir_all(&fresh);
    let built = run(Command::new(npm)
        .args(["run", "--silent", "build", "--"])
        .arg(&fresh)
        .current_dir(web));
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&fresh);
        return Err(format!(
            "`npm run build` in web/ failed, so the portal's assets were not built: {e}"
        ));
    }
    let _ = fs::remove_dir_all(assets);
    fs::rename(&fresh, assets).map_err(|e| format!("cannot move the built assets: {e}"))
}

/// The copy of the lock file that `node_modules` was installed from, kept inside it.
const INSTALLED_LOCK: &str = "node_modules/.grantfund-package-lock.json";

/// Whether `npm ci` has to run: `node_modules` is missing, or was installed from another lock
/// file. The lock file's content decides, not its time, so that a checkout that only touches it
/// does not need the network. A `node_modules` installed by hand is taken as it is when npm's own
/// record of the install is newer than the lock file.
fn needs_install(web: &Path) -> bool {
    let Ok(lock) = fs::read(web.join("package-lock.json")) else {
        return true;
    };
    if let Ok(installed) = fs::read(web.join(INSTALLED_LOCK)) {
        return installed != lock;
    }
    let modified = |path: PathBuf| fs::metadata(path).and_then(|m| m.modified()).ok();
    match (
        modified(web.join("node_modules/.package-lock.json")),
        modified(web.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock_modified)) if installed >= lock_modified => {
            installed_from(web, &lock);
            false
        }
        _ => true,
    }
}

/// Records that `node_modules` now matches the lock file.
fn installed(web: &Path) {
    if let Ok(lock) = fs::read(web.join("package-lock.json")) {
        installed_from(web, &lock);
    }
}

fn installed_from(web: &Path, lock: &[u8]) {
    // Without the record the next change of inputs installs again; nothing worse.
    let _ = fs::write(web.join(INSTALLED_LOCK), lock);
}

/// Runs a command; when it fails, gives its first error lines (or its last lines).
fn run(command: &mut Command) -> Result<(), String> {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().map_err(|e| e.to_string())?;
    if status.success() {
        return Ok(());
    }
    let said =
        String::from_utf8_lossy(if stderr.is_empty() { &stdout } else { &stderr }).into_owned();
    let lines: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("at "))
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.to_ascii_lowercase().contains("error"))
        .take(3)
        .collect();
    let shown = if errors.is_empty() {
        lines[lines.len().saturating_sub(3)..].join(" | ")
    } else {
        errors.join(" | ")
    };
    Err(format!("{status}: {shown}"))
}

/// The Rust expression `&[(name, bytes), …]` of every file under `assets`, by name.
fn table(assets: &Path) -> String {
    let mut files = Vec::new();
    collect(assets, "", &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    for (name, path) in files {
        code += &format!("    ({name:?}, include_bytes!({path:?})),\n");
    }
    code += "]\n";
    code
}

fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(OsStr::to_str) else {
            continue;
        };
        let name = format!("{prefix}{name}");
        if path.is_dir() {
            collect(&path, &format!("{name}/"), files);
        } else if let Some(full) = path.to_str() {
            files.push((name, full.to_owned()));
        }
    }
}
