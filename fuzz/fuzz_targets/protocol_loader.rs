//! The clinic protocol loader (`needlepath protocol check FILE`, a clinic's protocol in its
//! settings): any bytes, read as text, are either a protocol or a list of problems with their
//! lines and columns — never a panic, never an empty refusal, never a position outside the text.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use needlepath_core::Protocol;
use needlepath_core::vocabulary::{Activity, Finding, Symptom};

fn builtin() -> &'static Protocol {
    static BASE: OnceLock<Protocol> = OnceLock::new();
    BASE.get_or_init(|| Protocol::builtin().expect("the built-in protocol loads"))
}

fuzz_target!(|data: &[u8]| {
    // The command line reads the file as UTF-8; lossy keeps every input useful.
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    // On its own (a development build whose built-in protocol is broken), and over the base
    // (what `protocol check` and a clinic's settings do).
    for base in [None, Some(builtin())] {
        match Protocol::parse(&text, base) {
            Ok(p) => {
                // Loaded means dense: one rule per code, so the decisions never search or fail.
                assert_eq!(p.activities.len(), Activity::ALL.len());
                assert_eq!(p.triage.symptoms.len(), Symptom::ALL.len());
                assert_eq!(p.screening.findings.len(), Finding::ALL.len());
                assert!(!p.id.is_empty() && !p.version.is_empty(), "a protocol has an identity");
                if let Some(base) = base
                    && p.extends.is_some()
                {
                    assert_eq!(p.extends.as_deref(), Some(base.id.as_str()));
                }
            }
            Err(e) => {
                assert!(!e.problems.is_empty(), "a refusal names at least one problem");
                let _ = e.to_string();
                let mut last = (0, 0);
                for problem in &e.problems {
                    let at = (problem.line, problem.column);
                    assert!(at >= last, "problems in file order: {:?}", e.problems);
                    last = at;
                    assert!(!problem.message.trim().is_empty(), "a problem says what it is");
                    if problem.line > 0 {
                        assert!(problem.line <= lines.len(), "line {} of {}", problem.line, lines.len());
                        let chars = lines[problem.line - 1].chars().count();
                        assert!(
                            (1..=chars + 1).contains(&problem.column),
                            "column {} on a line of {chars} characters",
                            problem.column
                        );
                    }
                    let _ = problem.to_string();
                }
            }
        }
    }
});
