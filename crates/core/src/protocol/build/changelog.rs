//! The changelog: what changed in each version of a protocol and why, with sources, so that
//! `protocol show` can tell a clinician what is different from the version they knew.
//!
//! Checked like every other entry: versions unique and non-empty, the newest (first) entry is the
//! file's own `[protocol] version`, every change names its item, says what and why, and cites
//! sources that exist.

use std::collections::HashMap;
use std::ops::Range;

use super::Builder;
use crate::protocol::raw::*;
use crate::protocol::*;

impl Builder<'_> {
    pub(super) fn changelog(
        &mut self,
        raw: &[S<RawChangelog>],
        id: &str,
        version: &str,
        inherit: Option<&Protocol>,
    ) -> Vec<ChangelogEntry> {
        let mut out = Vec::with_capacity(raw.len());
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for (i, entry) in raw.iter().enumerate() {
            let r = entry.get_ref();
            let v = self.non_empty(&r.version, "changelog version");
            if self.duplicate(&mut seen, v.clone(), &r.version, "changelog version") {
                continue;
            }
            if i == 0 && v != version {
                self.p.at(
                    &r.version.span(),
                    format!(
                        "the newest changelog entry is version '{v}', but [protocol] version is '{version}': list the current version first"
                    ),
                );
            }
            if r.changes.is_empty() {
                self.p.at(&entry.span(), format!("changelog version '{v}' lists no changes"));
            }
            let changes = r
                .changes
                .iter()
                .map(|c| {
                    let x = c.get_ref();
                    Change {
                        item: self.non_empty(&x.item, "changelog item"),
                        what: self.non_empty(&x.what, "changelog what"),
                        why: self.non_empty(&x.why, "changelog why"),
                        sources: self.cite(&x.sources, &c.span()),
                    }
                })
                .collect();
            out.push(ChangelogEntry { protocol: id.to_owned(), version: v, summary: r.summary.clone(), changes });
        }
        if let Some(base) = inherit {
            out.extend(base.changelog.iter().cloned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::protocol::{BUILTIN_TOML, Protocol};

    fn clinic(changelog: &str) -> Result<Protocol, crate::protocol::ProtocolError> {
        let base = Protocol::builtin().unwrap();
        let text =
            format!("[protocol]\nid = \"c\"\nversion = \"3\"\nextends = \"needlepath-microneedling\"\n{changelog}");
        Protocol::parse(&text, Some(&base))
    }

    #[test]
    fn the_builtin_changelog_starts_at_its_version_with_one_change_per_item_of_issue_12() {
        let p = Protocol::parse(BUILTIN_TOML, None).unwrap();
        assert_eq!(p.changelog[0].version, p.version);
        assert_eq!(p.version, "2.0.0");
        for n in 1..=15 {
            let item = format!("12.{n}");
            assert!(p.changelog[0].changes.iter().any(|c| c.item == item), "no changelog change for {item}");
        }
    }

    #[test]
    fn a_clinic_changelog_comes_before_the_inherited_one() {
        let p = clinic("[[changelog]]\nversion = \"3\"\n[[changelog.changes]]\nitem = \"x\"\nwhat = \"w\"\nwhy = \"y\"\nsources = [\"Chu2021\"]\n").unwrap();
        assert_eq!((p.changelog[0].protocol.as_str(), p.changelog[0].version.as_str()), ("c", "3"));
        assert_eq!(p.changelog[1].version, "2.0.0");
    }

    #[test]
    fn changelog_problems_are_reported_at_their_line() {
        let e = clinic("[[changelog]]\nversion = \"2\"\n[[changelog.changes]]\nitem = \"x\"\nwhat = \"w\"\nwhy = \"y\"\nsources = [\"Nope1999\"]\n[[changelog]]\nversion = \"1\"\n")
            .unwrap_err();
        let all: Vec<String> = e.problems.iter().map(|p| format!("{}: {}", p.line, p.message)).collect();
        assert!(
            all.iter().any(|m| m.starts_with("6: ") && m.contains("newest changelog entry is version '2'")),
            "{all:?}"
        );
        assert!(all.iter().any(|m| m.starts_with("11: ") && m.contains("unknown source 'Nope1999'")), "{all:?}");
        assert!(all.iter().any(|m| m.starts_with("12: ") && m.contains("lists no changes")), "{all:?}");
    }
}
