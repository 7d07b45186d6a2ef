//! What a queued message says, written at delivery from its payload: the e-mail (subject, text
//! and HTML, with every care statement's sources) and the webhook body.
//!
//! Subjects, SMS texts and calendar titles say no more than "appointment", "care step" or
//! "check-in": they show on lock screens and in shared inboxes. The care statements themselves
//! are in the e-mail body and behind the patient's login.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::Protocol;
use needlepath_store::{Addressee, Message, Recipient, SIGN_IN_KIND};
use serde_json::{Value, json};

use crate::delivery::{Email, MailParagraph, ReminderMail, render_mail};
use crate::i18n::Locale;
use crate::reach::Reach;
use crate::stored::instant_json as at_of;

/// A local date and time in words, in the recipient's zone.
pub fn local(t: &Locale, at: DateTime<Utc>, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let l = at.with_timezone(&tz);
    t.f("messages.at", &[("date", &l.format("%A %-d %B %Y").to_string()), ("time", &l.format("%H:%M").to_string())])
}

fn url(public_url: &str, path: &str) -> String {
    format!("{}{}", public_url.trim_end_matches('/'), path)
}

/// The moment a patient message is about, for "when" in its words: the session for pre-care
/// and appointment reminders, else the step itself.
fn moment(m: &Message) -> Option<DateTime<Utc>> {
    at_of(&m.payload["session_at"]).or_else(|| at_of(&m.payload["event_at"]))
}

/// The link that turns e-mail reminders off: the message's id is the capability (only the
/// recipient and the clinic know it, and all it can do is stop e-mails).
pub fn unsubscribe_url(public_url: &str, m: &Message) -> String {
    url(public_url, &format!("/unsubscribe/{}", m.id))
}

/// The e-mail for a message; a patient's e-mail ends with how to reach their clinic (`reach`).
pub fn email(
    t: &Locale,
    p: &Protocol,
    public_url: &str,
    m: &Message,
    to: &Addressee,
    address: &str,
    reach: Option<&Reach>,
) -> Email {
    let mut mail = match m.recipient {
        Recipient::Patient(_) if m.kind == SIGN_IN_KIND => sign_in_mail(t, public_url, m, to),
        Recipient::Patient(_) => patient_mail(t, p, public_url, m, to, reach),
        Recipient::Staff(_) | Recipient::Clinic => staff_mail(t, public_url, m, to),
    };
    if let Recipient::Patient(_) = m.recipient
        && let Some(r) = reach.filter(|r| r.has_contact())
    {
        mail.paragraphs.push(MailParagraph {
            text: t.f("reach.invite_mail.contact", &[("clinic", &r.clinic), ("contact", &r.one_line(t))]),
            sources: Vec::new(),
        });
    }
    let subject = subject(t, m, to);
    let (text, html) = render_mail(&mail);
    Email {
        idempotency_key: m.idempotency_key.clone(),
        to: address.to_string(),
        to_name: Some(to.name.clone()),
        subject,
        text,
        html,
        unsubscribe_url: mail.unsubscribe_url,
    }
}

fn subject(t: &Locale, m: &Message, to: &Addressee) -> String {
    let clinic = to.clinic_name.as_str();
    if m.kind == SIGN_IN_KIND {
        return t.f("reach.invite_mail.subject", &[("clinic", clinic)]);
    }
    if m.kind == "alert" {
        let level = t.label("disposition", m.payload["disposition"].as_str().unwrap_or("contact_clinic"));
        return t.f("messages.alert.subject", &[("level", level)]);
    }
    let key = format!("messages.{}.subject", m.kind);
    let key = if t.has(&key) { key } else { "messages.care_step.subject".to_string() };
    let when = moment(m).map(|a| local(t, a, &to.time_zone)).unwrap_or_default();
    t.f(&key, &[("clinic", clinic), ("when", &when)])
}

/// "Call 112 now" with the clinic's country's number(s), or the common ones when unknown.
fn emergency_line(t: &Locale, reach: Option<&Reach>) -> String {
    match reach.and_then(|r| r.emergency_numbers(t)) {
        Some(n) => t.f("reach.emergency.mail", &[("numbers", &n)]),
        None => t.s("reach.emergency.mail_generic").to_string(),
    }
}

fn patient_mail(
    t: &Locale,
    p: &Protocol,
    public_url: &str,
    m: &Message,
    to: &Addressee,
    reach: Option<&Reach>,
) -> ReminderMail {
    let mut sources: Vec<String> = Vec::new();
    let mut paragraphs = Vec::new();
    let when = moment(m).map(|a| local(t, a, &to.time_zone)).unwrap_or_default();
    let lead_key = format!("messages.{}.lead", m.kind);
    if t.has(&lead_key) {
        let minutes = m.payload["minutes"].as_u64().unwrap_or(60).to_string();
        paragraphs.push(MailParagraph {
            text: t.f(
                &lead_key,
                &[
                    ("when", &when),
                    ("minutes", &minutes),
                    ("clinic", &to.clinic_name),
                    ("emergency", &emergency_line(t, reach)),
                ],
            ),
            sources: Vec::new(),
        });
    }
    for item in m.payload["items"].as_array().into_iter().flatten() {
        if m.kind == "appointment" && item["code"] == "session" {
            continue;
        }
        let mut numbers = Vec::new();
        for id in item["sources"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let citation = p.source(id).map(|s| s.citation.clone()).unwrap_or_else(|| id.to_string());
            let n = match sources.iter().position(|c| *c == citation) {
                Some(i) => i + 1,
                None => {
                    sources.push(citation);
                    sources.len()
                }
            };
            numbers.push(n);
        }
        paragraphs
            .push(MailParagraph { text: item["message"].as_str().unwrap_or_default().to_string(), sources: numbers });
    }
    let link = m.payload["link"].as_str().unwrap_or("/me");
    let action_key = if m.kind == "check_in" { "messages.action.check_in" } else { "messages.action.open" };
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f(&format!("messages.{}.heading", heading_kind(t, &m.kind)), &[("name", &to.name)]),
        paragraphs,
        action: Some((t.s(action_key).to_string(), url(public_url, link))),
        sources,
        unsubscribe_url: Some(unsubscribe_url(public_url, m)),
    }
}

/// An invite or sign-in link: the link, until when it works, and no unsubscribe (it is not a
/// reminder).
fn sign_in_mail(t: &Locale, public_url: &str, m: &Message, to: &Addressee) -> ReminderMail {
    let until = at_of(&m.payload["expires_at"]).map(|a| local(t, a, &to.time_zone)).unwrap_or_default();
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f("reach.invite_mail.heading", &[("name", &to.name)]),
        paragraphs: vec![MailParagraph {
            text: t.f("reach.invite_mail.lead", &[("when", &until)]),
            sources: Vec::new(),
        }],
        action: Some((
            t.s("reach.invite_mail.action").to_string(),
            url(public_url, m.payload["link"].as_str().unwrap_or("/sign-in")),
        )),
        sources: Vec::new(),
        unsubscribe_url: None,
    }
}

fn heading_kind<'a>(t: &Locale, kind: &'a str) -> &'a str {
    if t.has(&format!("messages.{kind}.heading")) { kind } else { "care_step" }
}

fn staff_mail(t: &Locale, public_url: &str, m: &Message, to: &Addressee) -> ReminderMail {
    let level = t.label("disposition", m.payload["disposition"].as_str().unwrap_or("contact_clinic"));
    let deadline = at_of(&m.payload["deadline_at"]).map(|d| local(t, d, &to.time_zone)).unwrap_or_default();
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f("messages.alert.heading", &[("level", level)]),
        paragraphs: vec![MailParagraph {
            text: t.f("messages.alert.lead", &[("level", level), ("deadline", &deadline)]),
            sources: Vec::new(),
        }],
        action: Some((
            t.s("messages.action.record").to_string(),
            url(public_url, m.payload["link"].as_str().unwrap_or("/staff")),
        )),
        sources: Vec::new(),
        unsubscribe_url: None,
    }
}

/// The webhook body: for a patient reminder, what an SMS gateway needs (the number and a short
/// text free of health details); for an alert, the event for the clinic's systems.
pub fn webhook_body(t: &Locale, public_url: &str, m: &Message, to: &Addressee, now: DateTime<Utc>) -> Value {
    let link = url(public_url, m.payload["link"].as_str().unwrap_or("/me"));
    match m.recipient {
        Recipient::Patient(patient) => {
            let when = moment(m).map(|a| local(t, a, &to.time_zone)).unwrap_or_default();
            let key = format!("messages.{}.sms", m.kind);
            let key = if t.has(&key) { key } else { "messages.care_step.sms".to_string() };
            json!({
                "event": "reminder",
                "message_id": m.id,
                "idempotency_key": m.idempotency_key,
                "kind": m.kind,
                "patient_id": patient,
                "to": { "name": to.name, "phone": to.phone },
                "text": t.f(&key, &[("clinic", &to.clinic_name), ("when", &when), ("link", &link)]),
                "link": link,
                "due_at": m.due_at,
                "sent_at": now,
            })
        }
        Recipient::Staff(_) | Recipient::Clinic => json!({
            "event": "alert.opened",
            "message_id": m.id,
            "idempotency_key": m.idempotency_key,
            "disposition": m.payload["disposition"],
            "deadline_at": m.payload["deadline_at"],
            "patient_id": m.payload["patient_id"],
            "link": link,
            "sent_at": now,
        }),
    }
}

#[cfg(test)]
mod tests {
    use needlepath_store::{ClinicId, MessageId, MessageStatus, PatientId};

    use super::*;
    use crate::i18n::default_locale;
    use crate::reach::Phone;

    #[test]
    fn a_check_in_email_gives_the_clinic_countrys_emergency_number() {
        let t = default_locale();
        let p = Protocol::builtin().unwrap();
        let now = Utc::now();
        let m = Message {
            id: MessageId::new(),
            clinic: ClinicId::new(),
            idempotency_key: "k".into(),
            recipient: Recipient::Patient(PatientId::new()),
            kind: "check_in".into(),
            channel: needlepath_store::Channel::Email,
            due_at: now,
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            payload: json!({ "event_at": now, "link": "/me/check-in" }),
            last_error: None,
            detail: None,
            sent_at: None,
            created_at: now,
            updated_at: now,
        };
        let to = Addressee {
            clinic_name: "Clinic".into(),
            time_zone: "Europe/Berlin".into(),
            name: "Pia".into(),
            email: Some("pia@example.org".into()),
            phone: None,
            email_allowed: true,
            sms_allowed: false,
        };
        let reach = Reach {
            clinic: "Clinic".into(),
            phone: Some(Phone::new("+49 30 1234567")),
            out_of_hours: None,
            email: None,
            address_lines: Vec::new(),
            emergency: vec![Phone::new("112")],
        };
        let mail = email(t, &p, "https://clinic.example", &m, &to, "pia@example.org", Some(&reach));
        assert!(mail.text.contains("call 112 now"), "{}", mail.text);
        assert!(!mail.text.contains("911"), "{}", mail.text);
        assert!(mail.text.contains("+49 30 1234567"), "the clinic's contact: {}", mail.text);
        let generic = email(t, &p, "https://clinic.example", &m, &to, "pia@example.org", None);
        assert!(generic.text.contains("112 in Europe, 911 in the US"), "{}", generic.text);
    }
}
