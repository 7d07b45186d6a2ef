//! The import rules between the crate's modules that the compiler cannot see, checked by reading
//! the sources: the background worker, the calendar feed, outbound delivery and authentication
//! do not depend on the web pages (issue 13: the import cycles through `pages` are gone). They
//! take words from `crate::i18n`, stored documents as core's typed values
//! (`needlepath_core::stored`) and message payloads as `reminders::payload::Payload`, and
//! authentication returns a typed refusal that `routes.rs` renders.

use std::path::{Path, PathBuf};

/// Modules that must not import `crate::pages` (nor reach it through `super::`).
const BELOW_THE_PAGES: &[&str] = &["auth", "reminders", "calendar", "delivery", "i18n.rs", "policy.rs"];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).expect("a source directory").map(|e| e.expect("an entry").path()).collect();
        entries.sort();
        for p in entries {
            rust_files(&p, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn the_worker_calendar_delivery_and_auth_do_not_import_the_pages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for module in BELOW_THE_PAGES {
        let path = src.join(module);
        assert!(path.exists(), "{} is gone; update this list", path.display());
        rust_files(&path, &mut files);
    }
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            let code = !line.trim_start().starts_with("//");
            if code && line.contains("pages::") {
                offending.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offending.is_empty(), "these modules import the pages:\n{}", offending.join("\n"));
}

/// Issue 13 item 5, "page sections do not redraw each other's pages": the patient page
/// (`records.rs`) draws the appointments section (`reminders.rs`), and the section's forms
/// (`appointment_forms.rs`) show the page again; the section itself imports neither.
#[test]
fn the_appointments_section_does_not_import_its_page_or_its_forms() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages/staff/reminders.rs");
    let text = std::fs::read_to_string(&file).expect("a readable source file");
    let offending: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| line.contains("records") || line.contains("appointment_forms"))
        .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
        .collect();
    assert!(offending.is_empty(), "the section reaches back into its page:\n{}", offending.join("\n"));
}
