//! The findings on a patient's record, and how a screening's findings join them.
//!
//! A screening asks about findings at one moment; the record keeps them between screenings so
//! that a plan, a session, pre-care and reminders see them (issue 11: a screening's findings once
//! went nowhere, and a cold-sore patient got no antiviral step). The rule, kept here once:
//!
//! - a finding screened now replaces the same finding's older entry (its date is the newer
//!   answer, and "ongoing now" is newer than any date);
//! - a finding on the record that a screening does not report **stays** on the record. Dropping
//!   a contraindication because one questionnaire left it out would be unsafe and silent;
//!   clinical staff remove a finding explicitly in the record's findings editor, which is
//!   audited.

use crate::request::FindingEntry;

/// The record's findings after a screening reported `screened`: the record's order is kept,
/// each screened finding replaces its older entry or is added at the end, and every finding
/// appears once.
pub fn merge(record: &[FindingEntry], screened: &[FindingEntry]) -> Vec<FindingEntry> {
    let mut out: Vec<FindingEntry> = Vec::with_capacity(record.len() + screened.len());
    for e in record {
        match out.iter_mut().find(|o| o.finding == e.finding) {
            Some(o) => *o = newer(*o, *e),
            None => out.push(*e),
        }
    }
    let mut from_screening: Vec<FindingEntry> = Vec::with_capacity(screened.len());
    for e in screened {
        match from_screening.iter_mut().find(|o| o.finding == e.finding) {
            Some(o) => *o = newer(*o, *e),
            None => from_screening.push(*e),
        }
    }
    for e in from_screening {
        match out.iter_mut().find(|o| o.finding == e.finding) {
            Some(o) => *o = e,
            None => out.push(e),
        }
    }
    out
}

/// Of two entries for one finding, the more recent: "ongoing now" (`None`) beats any date.
fn newer(a: FindingEntry, b: FindingEntry) -> FindingEntry {
    match (a.last, b.last) {
        (None, _) => a,
        (_, None) => b,
        (Some(x), Some(y)) => {
            if y >= x {
                b
            } else {
                a
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;
    use crate::vocabulary::Finding;

    fn e(f: Finding, last: Option<&str>) -> FindingEntry {
        FindingEntry { finding: f, last: last.map(|d| d.parse().unwrap_or(NaiveDate::MIN)) }
    }

    #[test]
    fn a_screened_finding_replaces_its_older_entry_and_unreported_ones_stay() {
        let record = [e(Finding::Sunburn, Some("2026-01-02")), e(Finding::Anticoagulant, None)];
        let screened = [e(Finding::Sunburn, Some("2026-11-30")), e(Finding::ColdSoreHistory, None)];
        assert_eq!(
            merge(&record, &screened),
            vec![
                e(Finding::Sunburn, Some("2026-11-30")),
                e(Finding::Anticoagulant, None),
                e(Finding::ColdSoreHistory, None)
            ]
        );
    }

    #[test]
    fn a_screening_may_give_an_older_date_than_the_record_and_it_is_taken() {
        // The screening is the newer answer, even when it corrects a date to an earlier day.
        let record = [e(Finding::Sunburn, Some("2026-11-30"))];
        let screened = [e(Finding::Sunburn, Some("2026-11-01"))];
        assert_eq!(merge(&record, &screened), vec![e(Finding::Sunburn, Some("2026-11-01"))]);
    }

    fn entry() -> impl Strategy<Value = FindingEntry> {
        (0..Finding::ALL.len(), proptest::option::of(0u32..2000)).prop_map(|(i, d)| FindingEntry {
            finding: Finding::ALL[i],
            last: d.and_then(|n| NaiveDate::from_num_days_from_ce_opt(739_000 + i32::try_from(n).unwrap_or(0))),
        })
    }

    proptest! {
        /// Nothing is lost and nothing is doubled: every finding of the record and of the
        /// screening is on the merged record exactly once, and a screened finding carries a
        /// date the screening gave.
        #[test]
        fn merging_loses_no_finding_and_doubles_none(
            record in proptest::collection::vec(entry(), 0..12),
            screened in proptest::collection::vec(entry(), 0..12),
        ) {
            let merged = merge(&record, &screened);
            for x in record.iter().chain(&screened) {
                prop_assert_eq!(merged.iter().filter(|m| m.finding == x.finding).count(), 1);
            }
            prop_assert_eq!(merged.len(), {
                let mut codes: Vec<Finding> = record.iter().chain(&screened).map(|x| x.finding).collect();
                codes.sort_by_key(|f| f.as_str());
                codes.dedup();
                codes.len()
            });
            for m in &merged {
                if screened.iter().any(|s| s.finding == m.finding) {
                    prop_assert!(screened.iter().any(|s| s == m));
                }
            }
        }
    }
}
