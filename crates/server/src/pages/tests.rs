//! Checks that hold for every page: every string a template asks for exists in every
//! language, and every vocabulary code has a plain-word label.

use std::collections::BTreeSet;
use std::path::Path;

use crate::i18n::{LANGUAGES, negotiate};

/// Every `"key"` a template or page module passes to `t.s`, `t.f`, `t.has` or a `*_key` const.
fn keys_used() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["templates", "src/pages"] {
        collect(&root.join(dir), &mut files);
    }
    let mut keys = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for marker in ["t.s(\"", "t.f(\"", "t.has(\""] {
            for (i, _) in text.match_indices(marker) {
                let rest = &text[i + marker.len()..];
                if let Some(end) = rest.find('"') {
                    keys.insert(rest[..end].to_string());
                }
            }
        }
    }
    keys
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_string_a_page_uses_exists_in_every_language() {
    let used = keys_used();
    assert!(used.len() > 20, "found only {} keys; is the scan broken?", used.len());
    for lang in LANGUAGES {
        let l = negotiate(Some(lang));
        let missing: Vec<&String> = used.iter().filter(|k| !k.contains('{') && !l.has(k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
    }
}

#[test]
fn every_vocabulary_code_has_a_label() {
    let vocab: serde_json::Value =
        serde_json::from_str(include_str!("../../../../docs/spec/vocabulary.json")).unwrap_or_default();
    let l = negotiate(None);
    let mut missing = Vec::new();
    for (section, kind) in [
        ("symptoms", "symptom"),
        ("findings", "finding"),
        ("activities", "activity"),
        ("concerns", "concern"),
        ("scar_types", "scar_type"),
    ] {
        for code in vocab[section].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if !l.has(&format!("{kind}.{code}")) {
                missing.push(format!("{kind}.{code}"));
            }
        }
    }
    for (section, kind) in [
        ("dispositions", "disposition"),
        ("screening_decisions", "decision"),
        ("severity", "severity"),
        ("trend", "trend"),
        ("answers", "answer"),
    ] {
        for code in vocab[section].as_array().cloned().unwrap_or_default() {
            let code = code.as_str().unwrap_or_default();
            if !l.has(&format!("{kind}.{code}")) {
                missing.push(format!("{kind}.{code}"));
            }
        }
    }
    assert!(missing.is_empty(), "no label for {missing:?}");
}
