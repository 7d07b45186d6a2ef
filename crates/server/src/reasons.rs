//! Reason codes the store keeps, in the reader's words.
//!
//! The store writes codes, not English, wherever the service itself explains something in a row
//! (why a follow-up was raised, how it was closed, why a message was withdrawn or skipped); each
//! reader renders them in their language
//! through the locale files. A row written before codes holds its sentence, which is shown as it
//! is — a fallback for free-text reasons only: a vocabulary code (a disposition, a decision) is
//! never guessed, the store refuses to read one it does not know.

use needlepath_store::{FollowUpNote, FollowUpReason, MessageNote};

use crate::i18n::Locale;

/// Why a follow-up was raised, in `t`'s language.
pub fn follow_up_reason(t: &Locale, reason: &FollowUpReason) -> String {
    match reason {
        FollowUpReason::MissedCheckIn { day: Some(day) } => {
            t.f("follow_up_reason.missed_check_in_day", &[("day", &day.to_string())])
        }
        FollowUpReason::MissedCheckIn { day: None } => t.s("follow_up_reason.missed_check_in").to_string(),
        FollowUpReason::LookAtPhoto { .. } => t.s("follow_up_reason.look_at_photo").to_string(),
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

/// Why a message was withdrawn or skipped (its stored `last_error`), in `t`'s language; a
/// receiving server's error, or a reason stored before codes, as it is.
pub fn message_note(t: &Locale, stored: &str) -> String {
    match MessageNote::from_stored(stored) {
        MessageNote::AppointmentMoved => t.s("message_note.appointment_moved").to_string(),
        MessageNote::AppointmentCancelled => t.s("message_note.appointment_cancelled").to_string(),
        MessageNote::SessionTookPlace => t.s("message_note.session_took_place").to_string(),
        MessageNote::Stale { hours } => t.f("message_note.stale", &[("hours", &hours.to_string())]),
        MessageNote::RecipientGone { what } => t.f("message_note.recipient_gone", &[("what", &what)]),
        MessageNote::EmailNotSetUp => t.s("message_note.email_not_set_up").to_string(),
        MessageNote::NoEmailAddress => t.s("message_note.no_email_address").to_string(),
        MessageNote::EmailOff => t.s("message_note.email_off").to_string(),
        MessageNote::WebhookNotSetUp => t.s("message_note.webhook_not_set_up").to_string(),
        MessageNote::NoPhone => t.s("message_note.no_phone").to_string(),
        MessageNote::SmsOff => t.s("message_note.sms_off").to_string(),
        MessageNote::Text(text) => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::default_locale;

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
        let was = [
            (MessageNote::AppointmentMoved, "the appointment was moved; its reminders were scheduled again"),
            (MessageNote::AppointmentCancelled, "the appointment was cancelled"),
            (MessageNote::SessionTookPlace, "the session took place"),
            (MessageNote::Stale { hours: 48 }, "more than 48 hours late; no longer useful"),
            (MessageNote::RecipientGone { what: "patient".into() }, "the patient no longer exists"),
            (MessageNote::EmailNotSetUp, "e-mail is not set up on this service ([reminders.smtp])"),
            (MessageNote::NoEmailAddress, "no e-mail address on record"),
            (MessageNote::EmailOff, "e-mail reminders are turned off, or there is no consent to messages"),
            (MessageNote::WebhookNotSetUp, "the webhook is not set up on this service ([reminders.webhook])"),
            (MessageNote::NoPhone, "no phone number on record"),
            (MessageNote::SmsOff, "text-message reminders are turned off, or there is no consent to messages"),
        ];
        for (note, words) in was {
            assert_eq!(message_note(t, &note.code()), words, "{note:?}");
        }
    }

    #[test]
    fn a_sentence_stored_before_codes_is_shown_as_it_is() {
        let t = default_locale();
        let old = FollowUpReason::from_stored("no check-in on day 7 after the session (old wording)");
        assert_eq!(follow_up_reason(t, &old), "no check-in on day 7 after the session (old wording)");
        let staff = FollowUpNote::from_stored("called, all well");
        assert_eq!(follow_up_note(t, &staff), "called, all well");
        assert_eq!(message_note(t, "550 no such mailbox"), "550 no such mailbox");
        assert_eq!(message_note(t, "the appointment was cancelled"), "the appointment was cancelled");
    }
}
