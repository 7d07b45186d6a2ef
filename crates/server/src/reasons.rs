//! Reason codes the store keeps, in the reader's words.
//!
//! The store writes codes, not English, wherever the service itself explains something in a row
//! (why a follow-up was raised, how it was closed); each reader renders them in their language
//! through the locale files. A row written before codes holds its sentence, which is shown as it
//! is — a fallback for free-text reasons only: a vocabulary code (a disposition, a decision) is
//! never guessed, the store refuses to read one it does not know.

use needlepath_store::{FollowUpNote, FollowUpReason};

use crate::pages::i18n::Locale;

/// Why a follow-up was raised, in `t`'s language.
pub fn follow_up_reason(t: &Locale, reason: &FollowUpReason) -> String {
    match reason {
        FollowUpReason::MissedCheckIn { day: Some(day) } => {
            t.f("follow_up_reason.missed_check_in_day", &[("day", &day.to_string())])
        }
        FollowUpReason::MissedCheckIn { day: None } => t.s("follow_up_reason.missed_check_in").to_string(),
        FollowUpReason::Text(text) => text.clone(),
    }
}

/// The note a closed follow-up carries, in `t`'s language (a staff member's note as written).
pub fn follow_up_note(t: &Locale, note: &FollowUpNote) -> String {
    match note {
        FollowUpNote::PatientCheckedIn => t.s("follow_up_note.patient_checked_in").to_string(),
        FollowUpNote::Staff(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::i18n::default_locale;

    /// The English the store wrote into rows before reason codes is what the codes render as, so
    /// the API and the queue page read as before.
    #[test]
    fn reason_codes_render_as_the_sentences_they_replace() {
        let t = default_locale();
        assert_eq!(
            follow_up_reason(t, &FollowUpReason::MissedCheckIn { day: Some(3) }),
            "no check-in on day 3 after the session"
        );
        assert_eq!(follow_up_reason(t, &FollowUpReason::MissedCheckIn { day: None }), "no check-in when one was due");
        assert_eq!(follow_up_note(t, &FollowUpNote::PatientCheckedIn), "the patient checked in");
    }

    #[test]
    fn a_sentence_stored_before_codes_is_shown_as_it_is() {
        let t = default_locale();
        let old = FollowUpReason::from_stored("no check-in on day 7 after the session (old wording)");
        assert_eq!(follow_up_reason(t, &old), "no check-in on day 7 after the session (old wording)");
        let staff = FollowUpNote::from_stored("called, all well");
        assert_eq!(follow_up_note(t, &staff), "called, all well");
    }
}
