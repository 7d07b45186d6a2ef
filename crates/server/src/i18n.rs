//! Every word the pages show, per language, in one place: `locales/<lang>/*.toml`.
//!
//! A module of the crate, not of `pages`: the reminder worker, the calendar feed and the clinic's
//! contact footer speak the reader's language too, without depending on the web pages.
//!
//! The files are compiled into the binary and flattened into dotted keys (`[today] title = …`
//! becomes `today.title`). Templates ask for a key; a missing key shows the key itself rather
//! than failing a patient's page, and the test below fails the build's test run instead, so a
//! translator gets a complete list and nothing ships half-translated.
//!
//! Clinical statements (advice, reasons, restrictions) are not here: they come from the
//! protocol with their sources, and a translated protocol translates them.
//!
//! The vocabulary's codes have their plain-word labels here too (`symptom.redness`,
//! `finding.pregnant`, …): patients never see a code.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One language's strings.
#[derive(Debug)]
pub struct Locale {
    pub lang: &'static str,
    strings: HashMap<String, String>,
}

/// The language files, by language; each language is the concatenation of its files.
const FILES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en/common.toml")),
    ("en", include_str!("../locales/en/vocabulary.toml")),
    ("en", include_str!("../locales/en/public.toml")),
    ("en", include_str!("../locales/en/patient.toml")),
    ("en", include_str!("../locales/en/staff.toml")),
    ("en", include_str!("../locales/en/messages.toml")),
    ("en", include_str!("../locales/en/reach.toml")),
    ("en", include_str!("../locales/en/checkins.toml")),
    ("en", include_str!("../locales/en/screening.toml")),
    ("en", include_str!("../locales/en/sessions.toml")),
    ("en", include_str!("../locales/en/consent.toml")),
    ("en", include_str!("../locales/en/outcomes.toml")),
];

/// The languages the pages speak, the first being the default.
pub const LANGUAGES: &[&str] = &["en"];

fn flatten(prefix: &str, value: &toml::Value, out: &mut HashMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        // Only strings are meant; anything else is a mistake `every_locale_file_parses` names.
        _ => {}
    }
}

fn load(lang: &'static str) -> Locale {
    let mut strings = HashMap::new();
    for (l, text) in FILES {
        if *l != lang {
            continue;
        }
        // A broken file is caught by `every_locale_file_parses`; at run time it only loses its
        // own strings, which then show as their keys.
        if let Ok(table) = text.parse::<toml::Table>() {
            flatten("", &toml::Value::Table(table), &mut strings);
        }
    }
    Locale { lang, strings }
}

impl Locale {
    /// The string for `key`, or the key itself when it is missing.
    pub fn s<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map(String::as_str).unwrap_or(key)
    }

    /// Whether `key` exists (for optional strings, such as a code's longer explanation).
    pub fn has(&self, key: &str) -> bool {
        self.strings.contains_key(key)
    }

    /// The string for `key` with `{name}` placeholders filled.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.s(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// The plain-word label of a vocabulary code of `kind` (`symptom`, `finding`, …).
    pub fn label<'a>(&'a self, kind: &str, code: &'a str) -> &'a str {
        self.strings.get(&format!("{kind}.{code}")).map(String::as_str).unwrap_or(code)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }
}

/// The locale for an `Accept-Language` header: the first language we speak, else the default.
pub fn negotiate(accept_language: Option<&str>) -> &'static Locale {
    static LOCALES: OnceLock<Vec<Locale>> = OnceLock::new();
    let all = LOCALES.get_or_init(|| LANGUAGES.iter().map(|l| load(l)).collect());
    let wanted = accept_language.unwrap_or_default().split(',').filter_map(|part| {
        let tag = part.split(';').next()?.trim();
        tag.split('-').next().map(str::to_ascii_lowercase)
    });
    for w in wanted {
        if let Some(l) = all.iter().find(|l| l.lang == w) {
            return l;
        }
    }
    &all[0]
}

/// The default language.
pub fn default_locale() -> &'static Locale {
    negotiate(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_file_parses() {
        fn only_strings(v: &toml::Value) -> bool {
            match v {
                toml::Value::Table(t) => t.values().all(only_strings),
                toml::Value::String(_) => true,
                _ => false,
            }
        }
        for (lang, text) in FILES {
            match text.parse::<toml::Table>() {
                Ok(t) => {
                    assert!(t.values().all(only_strings), "a locale file of {lang} holds a value that is not a string")
                }
                Err(e) => panic!("a locale file of {lang} does not parse: {e}"),
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let l = default_locale();
        assert_eq!(l.s("no.such.key"), "no.such.key");
        assert!(!l.f("common.restriction_lifts", &[("what", "Makeup"), ("when", "10:30 tomorrow")]).contains('{'));
    }

    #[test]
    fn unknown_languages_fall_back_to_the_default() {
        assert_eq!(negotiate(Some("xx-YY, zz;q=0.5")).lang, "en");
        assert_eq!(negotiate(Some("en-GB,en;q=0.9")).lang, "en");
    }
}
