//! What a queued message says, written at delivery from its payload: the e-mail (subject, text
//! and HTML, with every care statement's sources) and the webhook body.
//!
//! Subjects, SMS texts and calendar titles say no more than "appointment", "care step" or
//! "check-in": they show on lock screens and in shared inboxes. The care statements themselves
//! are in the e-mail body and behind the patient's login.

use chrono::{DateTime, Utc};
use needlepath_core::Protocol;
use needlepath_core::vocabulary::Disposition;
use needlepath_store::{Addressee, IanaZone, Message, MessageKind, Recipient, SIGN_IN_KIND};
use serde_json::{Value, json};

use crate::delivery::{Email, MailParagraph, ReminderMail, render_mail};
use crate::i18n::Locale;
use crate::reach::Reach;
use crate::reminders::payload::Payload;

/// A local date and time in words, in the recipient's zone.
pub fn local(t: &Locale, at: DateTime<Utc>, zone: IanaZone) -> String {
    let l = at.with_timezone(&zone.tz());
    t.f("messages.at", &[("date", &l.format("%A %-d %B %Y").to_string()), ("time", &l.format("%H:%M").to_string())])
}

fn url(public_url: &str, path: &str) -> String {
    format!("{}{}", public_url.trim_end_matches('/'), path)
}

/// The moment a patient message is about, for "when" in its words: the session for pre-care
/// and appointment reminders, else the step itself.
fn moment(pl: &Payload) -> Option<DateTime<Utc>> {
    pl.session_at.or(pl.event_at)
}

/// Where an e-mail's links lead: the service's public address, and the path of the message's
/// unsubscribe link (a capability only the e-mail holds: `clinic::unsubscribe`), for a
/// reminder to a patient.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    pub public_url: &'a str,
    pub unsubscribe: Option<&'a str>,
}

/// The e-mail for a message; a patient's e-mail ends with how to reach their clinic (`reach`).
pub fn email(
    t: &Locale,
    p: &Protocol,
    links: Links<'_>,
    m: &Message,
    to: &Addressee,
    address: &str,
    reach: Option<&Reach>,
) -> Result<Email, Unrenderable> {
    let pl = Payload::read(&m.payload).map_err(Unrenderable)?;
    let public_url = links.public_url;
    let mut mail = match m.recipient {
        Recipient::Patient(_) if m.kind == SIGN_IN_KIND => sign_in_mail(t, public_url, &pl, to),
        Recipient::Patient(_) => patient_mail(t, p, links, m, &pl, to, reach),
        Recipient::Staff(_) if m.kind == MessageKind::LoginWarning => login_warning_mail(t, public_url, &pl, to),
        Recipient::Staff(_) | Recipient::Clinic => staff_mail(t, public_url, &pl, to)?,
    };
    if let Recipient::Patient(_) = m.recipient
        && let Some(r) = reach.filter(|r| r.has_contact())
    {
        mail.paragraphs.push(MailParagraph {
            text: t.f("reach.invite_mail.contact", &[("clinic", &r.clinic), ("contact", &r.one_line(t))]),
            sources: Vec::new(),
        });
    }
    let subject = subject(t, m, &pl, to)?;
    let (text, html) = render_mail(&mail);
    Ok(Email {
        idempotency_key: m.idempotency_key.clone(),
        to: address.to_string(),
        to_name: Some(to.name.clone()),
        subject,
        text,
        html,
        unsubscribe_url: mail.unsubscribe_url,
    })
}

/// A message whose payload lacks what it must say: delivery records it as failed (a dead letter
/// staff see and may retry), never sends a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the message cannot be rendered: {0}")]
pub struct Unrenderable(pub String);

/// An alert message's level, written into its payload from the alert's typed disposition. One
/// that does not read fails the message loudly: a default could tell staff an emergency is less.
fn alert_level(pl: &Payload) -> Result<Disposition, Unrenderable> {
    pl.disposition.ok_or_else(|| Unrenderable("the alert's payload names no disposition".into()))
}

fn subject(t: &Locale, m: &Message, pl: &Payload, to: &Addressee) -> Result<String, Unrenderable> {
    let clinic = to.clinic_name.as_str();
    if m.kind == SIGN_IN_KIND {
        return Ok(t.f("reach.invite_mail.subject", &[("clinic", clinic)]));
    }
    if m.kind == MessageKind::LoginWarning {
        return Ok(t.s("messages.login_warning.subject").to_string());
    }
    if m.kind == MessageKind::Alert {
        let level = t.label("disposition", alert_level(pl)?.as_str());
        return Ok(t.f("messages.alert.subject", &[("level", level)]));
    }
    let key = format!("messages.{}.subject", m.kind);
    let key = if t.has(&key) { key } else { "messages.care_step.subject".to_string() };
    let when = moment(pl).map(|a| local(t, a, to.time_zone)).unwrap_or_default();
    Ok(t.f(&key, &[("clinic", clinic), ("when", &when)]))
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
    links: Links<'_>,
    m: &Message,
    pl: &Payload,
    to: &Addressee,
    reach: Option<&Reach>,
) -> ReminderMail {
    let mut sources: Vec<String> = Vec::new();
    let mut paragraphs = Vec::new();
    let when = moment(pl).map(|a| local(t, a, to.time_zone)).unwrap_or_default();
    let lead_key = format!("messages.{}.lead", m.kind);
    if t.has(&lead_key) {
        // Only an appointment's lead names its length; it is in every appointment's payload.
        let minutes = pl.minutes.map(|n| n.to_string()).unwrap_or_default();
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
    for item in &pl.items {
        if m.kind == MessageKind::Appointment && item.code == "session" {
            continue;
        }
        let mut numbers = Vec::new();
        for id in &item.sources {
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
        paragraphs.push(MailParagraph { text: item.message.clone(), sources: numbers });
    }
    let link = pl.link.as_str();
    let action_key = if m.kind == MessageKind::CheckIn { "messages.action.check_in" } else { "messages.action.open" };
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f(&format!("messages.{}.heading", heading_kind(t, m.kind.as_str())), &[("name", &to.name)]),
        paragraphs,
        action: Some((t.s(action_key).to_string(), url(links.public_url, link))),
        sources,
        unsubscribe_url: links.unsubscribe.map(|path| url(links.public_url, path)),
    }
}

/// An invite or sign-in link: the link, until when it works, and no unsubscribe (it is not a
/// reminder).
fn sign_in_mail(t: &Locale, public_url: &str, pl: &Payload, to: &Addressee) -> ReminderMail {
    let until = pl.expires_at.map(|a| local(t, a, to.time_zone)).unwrap_or_default();
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f("reach.invite_mail.heading", &[("name", &to.name)]),
        paragraphs: vec![MailParagraph {
            text: t.f("reach.invite_mail.lead", &[("when", &until)]),
            sources: Vec::new(),
        }],
        action: Some((t.s("reach.invite_mail.action").to_string(), url(public_url, &pl.link))),
        sources: Vec::new(),
        unsubscribe_url: None,
    }
}

/// A staff member's warning that wrong passwords are being tried on their account (issue 14,
/// defect 3): how many, what happens now, and no unsubscribe (it is about their own account).
fn login_warning_mail(t: &Locale, public_url: &str, pl: &Payload, to: &Addressee) -> ReminderMail {
    let attempts = pl.attempts.unwrap_or_default().to_string();
    ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f("messages.login_warning.heading", &[("attempts", &attempts)]),
        paragraphs: vec![MailParagraph {
            text: t.f("messages.login_warning.lead", &[("attempts", &attempts), ("clinic", &to.clinic_name)]),
            sources: Vec::new(),
        }],
        action: Some((t.s("messages.login_warning.action").to_string(), url(public_url, &pl.link))),
        sources: Vec::new(),
        unsubscribe_url: None,
    }
}

fn heading_kind<'a>(t: &Locale, kind: &'a str) -> &'a str {
    if t.has(&format!("messages.{kind}.heading")) { kind } else { "care_step" }
}

fn staff_mail(t: &Locale, public_url: &str, pl: &Payload, to: &Addressee) -> Result<ReminderMail, Unrenderable> {
    let level = t.label("disposition", alert_level(pl)?.as_str());
    let deadline = pl.deadline_at.map(|d| local(t, d, to.time_zone)).unwrap_or_default();
    Ok(ReminderMail {
        clinic: to.clinic_name.clone(),
        heading: t.f("messages.alert.heading", &[("level", level)]),
        paragraphs: vec![MailParagraph {
            text: t.f("messages.alert.lead", &[("level", level), ("deadline", &deadline)]),
            sources: Vec::new(),
        }],
        action: Some((t.s("messages.action.record").to_string(), url(public_url, &pl.link))),
        sources: Vec::new(),
        unsubscribe_url: None,
    })
}

/// The webhook body: for a patient reminder, what an SMS gateway needs (the number and a short
/// text free of health details); for an alert, the event for the clinic's systems.
pub fn webhook_body(
    t: &Locale,
    public_url: &str,
    m: &Message,
    to: &Addressee,
    now: DateTime<Utc>,
) -> Result<Value, Unrenderable> {
    let pl = Payload::read(&m.payload).map_err(Unrenderable)?;
    let link = url(public_url, &pl.link);
    Ok(match m.recipient {
        Recipient::Patient(patient) => {
            let when = moment(&pl).map(|a| local(t, a, to.time_zone)).unwrap_or_default();
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
            "disposition": alert_level(&pl)?,
            "deadline_at": pl.deadline_at,
            "patient_id": pl.patient_id,
            "link": link,
            "sent_at": now,
        }),
    })
}

#[cfg(test)]
mod tests {
    use needlepath_store::{ClinicId, MessageId, MessageStatus, PatientId};

    use super::*;
    use crate::i18n::default_locale;
    use crate::reach::Phone;

    /// Where the test e-mails' links lead.
    const TEST_LINKS: Links<'static> =
        Links { public_url: "https://clinic.example", unsubscribe: Some("/unsubscribe/x.y") };

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
            kind: MessageKind::CheckIn,
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
            time_zone: IanaZone::parse("Europe/Berlin").unwrap(),
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
        let mail = email(t, &p, TEST_LINKS, &m, &to, "pia@example.org", Some(&reach)).unwrap();
        assert!(mail.text.contains("call 112 now"), "{}", mail.text);
        assert!(!mail.text.contains("911"), "{}", mail.text);
        assert!(mail.text.contains("+49 30 1234567"), "the clinic's contact: {}", mail.text);
        let generic = email(t, &p, TEST_LINKS, &m, &to, "pia@example.org", None).unwrap();
        assert!(generic.text.contains("112 in Europe, 911 in the US"), "{}", generic.text);
    }

    fn alert(disposition: Value) -> (Message, Addressee) {
        let now = Utc::now();
        let m = Message {
            id: MessageId::new(),
            clinic: ClinicId::new(),
            idempotency_key: "alert:k".into(),
            recipient: Recipient::Staff(needlepath_store::StaffId::new()),
            kind: MessageKind::Alert,
            channel: needlepath_store::Channel::Email,
            due_at: now,
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            payload: json!({ "kind": "alert", "disposition": disposition, "deadline_at": now, "link": "/staff" }),
            last_error: None,
            detail: None,
            sent_at: None,
            created_at: now,
            updated_at: now,
        };
        let to = Addressee {
            clinic_name: "Clinic".into(),
            time_zone: IanaZone::parse("Europe/Berlin").unwrap(),
            name: "Dr Ada".into(),
            email: Some("ada@example.org".into()),
            phone: None,
            email_allowed: true,
            sms_allowed: false,
        };
        (m, to)
    }

    /// Regression (issue 13 item 4): an alert e-mail read its level with
    /// `payload["disposition"].as_str().unwrap_or("contact_clinic")`, so an emergency whose payload
    /// could not be read told staff "contact clinic". It now fails the message (a dead letter staff
    /// see), and a readable one is said as it is.
    #[test]
    fn an_alert_without_a_readable_disposition_is_not_sent_as_contact_clinic() {
        let t = default_locale();
        let p = Protocol::builtin().unwrap();
        for bad in [json!(null), json!("catastrophic"), json!(3)] {
            let (m, to) = alert(bad.clone());
            let e = email(t, &p, TEST_LINKS, &m, &to, "ada@example.org", None).unwrap_err();
            assert!(e.to_string().contains("disposition"), "{e}");
            assert!(webhook_body(t, "https://clinic.example", &m, &to, Utc::now()).is_err(), "{bad}");
        }
        let (m, to) = alert(json!("emergency"));
        let mail = email(t, &p, TEST_LINKS, &m, &to, "ada@example.org", None).unwrap();
        assert!(mail.subject.contains(t.label("disposition", "emergency")), "{}", mail.subject);
        let body = webhook_body(t, "https://clinic.example", &m, &to, Utc::now()).unwrap();
        assert_eq!(body["disposition"], "emergency");
    }
}
