//! Helpers shared by the end-to-end tests: running the real `needlepath` binary, and where.
//!
//! Every test file includes this module with `mod common;`, so each compiles it on its own; the
//! items only some of the files use carry `#[allow(dead_code)]`. The helpers tied to the decision
//! contract (`docs/spec/`: schemas, vocabulary, sources, checked commands) are in [`spec`].

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub mod spec;

const BIN: &str = env!("CARGO_BIN_EXE_needlepath");

/// The crate's directory, `crates/cli`: paths like `tests/protocols/...` are relative to it.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root, which holds `docs/`, `protocols/` and `examples/`.
#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    crate_dir().join("../..")
}

/// The `.json` files in `dir`, sorted by name.
#[allow(dead_code)]
pub fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// What one run of the binary printed, and its exit status (`None` when a signal ended it).
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Output that is not UTF-8 is read with replacement characters.
    #[allow(dead_code)]
    fn lossy(out: Output) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Output that is not UTF-8 fails the test.
    #[allow(dead_code)]
    fn utf8(out: Output) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// Runs the binary in `dir` with `args`, writes `stdin` to it and waits for it to end.
fn output<S: AsRef<OsStr>>(dir: &Path, args: &[S], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the needlepath binary starts");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        // Commands that do not read standard input may exit before it is written; that is not a failure.
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("needlepath runs to the end")
}

#[allow(dead_code)]
fn assert_no_panic(args: &[&str], r: &Run) {
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "needlepath {args:?} panicked:\n{}",
        r.stderr
    );
}

/// Runs the binary in `crates/cli` with `stdin` as bytes and checks nothing: the caller judges
/// the exit status, the output and any panic.
#[allow(dead_code)]
pub fn run_bytes<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Run {
    Run::lossy(output(crate_dir(), args, stdin))
}

/// Runs the binary in `dir` (relative to the crate: "." = crates/cli, "../.." = the repository);
/// a panic fails the test.
#[allow(dead_code)]
pub fn run_in(dir: &str, args: &[&str], stdin: &str) -> Run {
    let r = Run::lossy(output(&crate_dir().join(dir), args, stdin.as_bytes()));
    assert_no_panic(args, &r);
    r
}

/// Runs the binary in the repository root; output that is not UTF-8 or a panic fails the test.
#[allow(dead_code)]
pub fn run(args: &[&str], stdin: &str) -> Run {
    let r = Run::utf8(output(&repo_root(), args, stdin.as_bytes()));
    assert_no_panic(args, &r);
    r
}

/// Runs a command that must make a decision (exit 0) and print JSON, in the repository root.
#[allow(dead_code)]
pub fn run_json(args: &[&str], stdin: &str) -> Value {
    let r = run(args, stdin);
    assert_eq!(r.code, Some(0), "needlepath {args:?} with stdin {stdin} exited {:?}; stderr:\n{}", r.code, r.stderr);
    assert!(r.stderr.is_empty(), "needlepath {args:?} wrote to stderr on success:\n{}", r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("needlepath {args:?} printed invalid JSON ({e}):\n{}", r.stdout))
}

/// Runs a command that must make a decision (exit 0) and print text, in the repository root.
#[allow(dead_code)]
pub fn run_text(args: &[&str], stdin: &str) -> String {
    let r = run(args, stdin);
    assert_eq!(r.code, Some(0), "needlepath {args:?} exited {:?}; stderr:\n{}", r.code, r.stderr);
    r.stdout
}
