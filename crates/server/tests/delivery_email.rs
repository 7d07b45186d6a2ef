#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Email delivery against a real SMTP server: `tests/python/smtp_sink.py` (aiosmtpd) receives
//! what `EmailSender` sends, stores it, and Python's `email` package parses it back, so the MIME
//! structure, header encoding and TLS are checked by an independent implementation.

#[path = "support/python.rs"]
mod python;
#[path = "support/smtp.rs"]
mod smtp;

use smtp::{Sink, certs, tls_args};

use needlepath_server::delivery::{
    Email, EmailSender, MailParagraph, ReminderMail, SmtpConfig, SmtpSecurity, render_mail,
};
use serde_json::Value;

fn reminder(key: &str, to: &str) -> Email {
    let (text, html) = render_mail(&ReminderMail {
        clinic: "Rivière Clinic".into(),
        heading: "Time for your check-in".into(),
        paragraphs: vec![MailParagraph { text: "Tell us how your skin looks today.".into(), sources: vec![1] }],
        action: Some(("Check in".into(), "https://clinic.example/check-in".into())),
        sources: vec!["A test source of aftercare advice, 2024.".into()],
        unsubscribe_url: Some("https://clinic.example/unsubscribe?t=tok123".into()),
    });
    Email {
        idempotency_key: key.into(),
        to: to.into(),
        to_name: Some("Zoë Ångström".into()),
        subject: "Your check-in — Zoë, how is it healing?".into(),
        text,
        html,
        unsubscribe_url: Some("https://clinic.example/unsubscribe?t=tok123".into()),
    }
}

fn header<'a>(m: &'a Value, name: &str) -> &'a str {
    m["headers"][name].as_str().unwrap_or_else(|| panic!("no {name} header in {m:#}"))
}

#[tokio::test]
async fn message_arrives_as_multipart_alternative_with_decoded_headers_and_both_parts() {
    let Some(py) = python::python() else { return };
    let sink = Sink::start(&py, &[]);
    let sender = EmailSender::new(&sink.config(SmtpSecurity::None)).unwrap();

    let delivered = sender.send(&reminder("rem-1", "patient@example.org")).await.unwrap();
    assert!(delivered.detail.starts_with("250 ") && delivered.detail.contains("SINK0001"), "{}", delivered.detail);

    let got = sink.received();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m["mail_from"], "reminders@clinic.example");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["patient@example.org"]));
    assert_eq!(m["content_type"], "multipart/alternative");
    assert_eq!(header(m, "From"), "Rivière Clinic <reminders@clinic.example>");
    assert_eq!(header(m, "To"), "Zoë Ångström <patient@example.org>");
    assert_eq!(header(m, "Subject"), "Your check-in — Zoë, how is it healing?");
    assert_eq!(header(m, "X-Needlepath-Idempotency-Key"), "rem-1");
    assert_eq!(header(m, "Message-ID"), "<rem-1@needlepath.invalid>");
    assert_eq!(header(m, "List-Unsubscribe"), "<https://clinic.example/unsubscribe?t=tok123>");
    assert_eq!(header(m, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");

    let parts = m["parts"].as_array().unwrap();
    let types: Vec<&str> = parts.iter().map(|p| p["content_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["text/plain", "text/html"], "plain first, HTML preferred last");
    let text = parts[0]["text"].as_str().unwrap();
    assert!(text.contains("Time for your check-in\n"), "{text}");
    assert!(text.contains("Tell us how your skin looks today. [1]"), "{text}");
    assert!(text.contains("[1] A test source of aftercare advice, 2024."), "{text}");
    assert!(text.contains("https://clinic.example/unsubscribe?t=tok123"), "footer link: {text}");
    let html = parts[1]["text"].as_str().unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains(">Time for your check-in</h1>"), "{html}");
    assert!(html.contains("Rivière Clinic"), "non-ASCII survives the transfer encoding: {html}");
    assert!(html.contains("href=\"https://clinic.example/unsubscribe?t=tok123\""), "{html}");
}

#[tokio::test]
async fn resend_with_the_same_key_carries_the_same_message_id() {
    let Some(py) = python::python() else { return };
    let sink = Sink::start(&py, &[]);
    let sender = EmailSender::new(&sink.config(SmtpSecurity::None)).unwrap();
    for key in ["reminder:42/2026-03-01", "reminder:42/2026-03-01", "reminder:43/2026-03-01"] {
        sender.send(&reminder(key, "patient@example.org")).await.unwrap();
    }
    let got = sink.received();
    let ids: Vec<&str> = got.iter().map(|m| header(m, "Message-ID")).collect();
    assert_eq!(ids[0], ids[1], "a resend is recognisably the same message");
    assert_ne!(ids[0], ids[2], "another reminder is another message");
    assert_eq!(ids[0], "<reminder=3A42=2F2026-03-01@needlepath.invalid>");
    assert_eq!(header(&got[0], "X-Needlepath-Idempotency-Key"), "reminder:42/2026-03-01");
    assert_ne!(header(&got[0], "Date"), "", "each send is dated");
}

#[tokio::test]
async fn mailbox_unavailable_550_is_permanent_and_quotes_the_reply() {
    let Some(py) = python::python() else { return };
    let sink = Sink::start(&py, &["--reject-550", "^gone@"]);
    let sender = EmailSender::new(&sink.config(SmtpSecurity::None)).unwrap();
    let err = sender.send(&reminder("rem-550", "gone@example.org")).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(!err.retryable, "{err}");
    assert!(err.reason.contains("550") && err.reason.contains("mailbox unavailable"), "{}", err.reason);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn deferral_451_is_retryable_and_quotes_the_reply() {
    let Some(py) = python::python() else { return };
    let sink = Sink::start(&py, &["--defer-451", "^busy@"]);
    let sender = EmailSender::new(&sink.config(SmtpSecurity::None)).unwrap();
    let err = sender.send(&reminder("rem-451", "busy@example.org")).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable, "{err}");
    assert!(err.reason.contains("451") && err.reason.contains("try again later"), "{}", err.reason);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        from: "reminders@clinic.example".into(),
        timeout_seconds: 5,
        ..Default::default()
    };
    let err = EmailSender::new(&cfg).unwrap().send(&reminder("rem-x", "a@example.org")).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable, "{err}");
    assert!(err.reason.contains(&format!("127.0.0.1:{port}")), "{}", err.reason);
}

#[tokio::test]
async fn starttls_with_the_test_ca_delivers_encrypted_and_authenticates() {
    let Some(py) = python::python() else { return };
    let certs = certs(&py);
    let mut args = tls_args(certs.path(), "--starttls");
    args.extend(["--auth".to_string(), "clinic:s3cret-pass".to_string()]);
    let sink = Sink::start(&py, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let cfg = SmtpConfig {
        ca_file: Some(certs.path().join("ca.pem")),
        username: Some("clinic".into()),
        password: Some("s3cret-pass".into()),
        ..sink.config(SmtpSecurity::Starttls)
    };
    EmailSender::new(&cfg).unwrap().send(&reminder("rem-tls", "patient@example.org")).await.unwrap();
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["tls"], true, "the message went over the STARTTLS-upgraded connection");
    assert_eq!(got[0]["auth_user"], "clinic");
}

#[tokio::test]
async fn starttls_without_the_test_ca_fails_retryable_naming_tls() {
    let Some(py) = python::python() else { return };
    let certs = certs(&py);
    let args = tls_args(certs.path(), "--starttls");
    let sink = Sink::start(&py, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = EmailSender::new(&sink.config(SmtpSecurity::Starttls))
        .unwrap()
        .send(&reminder("rem-untrusted", "patient@example.org"))
        .await
        .unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable, "{err}");
    assert!(err.reason.contains("TLS") && err.reason.contains("smtp.ca_file"), "{}", err.reason);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn starttls_is_required_not_opportunistic() {
    let Some(py) = python::python() else { return };
    let sink = Sink::start(&py, &[]); // offers no STARTTLS
    let err = EmailSender::new(&sink.config(SmtpSecurity::Starttls))
        .unwrap()
        .send(&reminder("rem-plain", "patient@example.org"))
        .await
        .unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.reason.to_lowercase().contains("starttls"), "{}", err.reason);
    assert!(sink.received().is_empty(), "nothing was sent in the clear");
}

#[tokio::test]
async fn implicit_tls_with_the_test_ca_delivers() {
    let Some(py) = python::python() else { return };
    let certs = certs(&py);
    let args = tls_args(certs.path(), "--implicit-tls");
    let sink = Sink::start(&py, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let cfg = SmtpConfig { ca_file: Some(certs.path().join("ca.pem")), ..sink.config(SmtpSecurity::Tls) };
    EmailSender::new(&cfg).unwrap().send(&reminder("rem-465", "patient@example.org")).await.unwrap();
    assert_eq!(sink.received()[0]["tls"], true);
}
