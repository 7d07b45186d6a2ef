//! How soon a `contact_clinic` answer asks the patient to get in touch (`tier`), and the
//! `contact_clinic` advice for the `days` tier.
//!
//! A rule's `tier` is only meaningful for `contact_clinic`: `soon` (the default) or `days`. The
//! answer's headline follows the most urgent tier reported (see `triage`), so "within a few days"
//! never stands above a sign that says "promptly".

use super::Builder;
use crate::protocol::raw::*;
use crate::protocol::*;

impl Builder<'_> {
    /// Reads a rule's `tier`; refused on any disposition other than `contact_clinic`.
    pub(super) fn tier(&mut self, t: Option<&S<String>>, disposition: Disposition) -> Option<Tier> {
        let t = t?;
        let Some(tier) = Tier::parse(t.get_ref()) else {
            self.p.at(&t.span(), format!("unknown tier '{}'; accepted: {}", t.get_ref(), Tier::CODES.join(", ")));
            return None;
        };
        if disposition != Disposition::ContactClinic {
            self.p.at(
                &t.span(),
                format!("tier is only for 'contact_clinic' (how soon to get in touch), not '{disposition}'"),
            );
            return None;
        }
        Some(tier)
    }

    /// Reads the `days` advice of a disposition entry: only `contact_clinic` has one.
    pub(super) fn contact_days(&mut self, d: Disposition, days: Option<&S<RawStatement>>, out: &mut Option<Statement>) {
        let Some(days) = days else {
            return;
        };
        if d != Disposition::ContactClinic {
            self.p.at(&days.span(), format!("only 'contact_clinic' has a 'days' advice, not '{d}'"));
            return;
        }
        *out = Some(self.statement(days));
    }
}
