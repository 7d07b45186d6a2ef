//! What in the service's configuration silently stops messages from reaching people: no e-mail
//! server, no webhook (text messages and alert events), or a public address that only this machine
//! can open (invite and sign-in links would name 127.0.0.1). `serve` prints these at start, and the
//! queue and Settings pages show them to staff, so "Not sent" is never a mystery.

use std::net::IpAddr;

use crate::ServerConfig;

/// One way messages or links would fail to reach people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryWarning {
    /// `[reminders.smtp]` is not set: no e-mail is sent (reminders, alert e-mails to staff).
    NoEmail,
    /// `[reminders.webhook]` is not set: no text message and no alert event is sent.
    NoWebhook,
    /// `public_url` names this machine only: links in messages open nowhere else.
    LoopbackPublicUrl,
}

impl DeliveryWarning {
    /// The locale key of the warning's text (staff pages).
    pub fn key(self) -> &'static str {
        match self {
            DeliveryWarning::NoEmail => "warnings.no_email",
            DeliveryWarning::NoWebhook => "warnings.no_webhook",
            DeliveryWarning::LoopbackPublicUrl => "warnings.loopback_public_url",
        }
    }

    /// The text printed by `serve` at start (the operator's words, not the clinic's).
    pub fn console(self, config: &ServerConfig) -> String {
        match self {
            DeliveryWarning::NoEmail => {
                "no e-mail server is configured ([reminders.smtp]): reminders and alert e-mails are not sent".into()
            }
            DeliveryWarning::NoWebhook => {
                "no webhook is configured ([reminders.webhook]): text messages and alert events are not sent".into()
            }
            DeliveryWarning::LoopbackPublicUrl => format!(
                "public_url is {}, which only this machine can open: invite and sign-in links will not work on a patient's phone (set public_url)",
                config.public_url
            ),
        }
    }
}

/// Everything in `config` that stops messages or links from reaching people.
pub fn delivery_warnings(config: &ServerConfig) -> Vec<DeliveryWarning> {
    let mut out = Vec::new();
    if config.reminders.smtp.is_none() {
        out.push(DeliveryWarning::NoEmail);
    }
    if config.reminders.webhook.is_none() {
        out.push(DeliveryWarning::NoWebhook);
    }
    if names_loopback(&config.public_url) {
        out.push(DeliveryWarning::LoopbackPublicUrl);
    }
    out
}

/// Whether a URL's host is this machine only (`localhost`, 127.0.0.0/8, `[::1]`, 0.0.0.0).
fn names_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_recognised() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "https://[::1]:443/x",
            "http://0.0.0.0:80",
            "http://app.localhost",
        ] {
            assert!(names_loopback(url), "{url}");
        }
        for url in [
            "https://clinic.example",
            "http://10.0.0.5:8080",
            "https://[2001:db8::1]/",
            "https://user@clinic.example:8443",
        ] {
            assert!(!names_loopback(url), "{url}");
        }
    }

    #[test]
    fn a_default_configuration_warns_of_every_silent_failure() {
        let config = ServerConfig { public_url: "http://127.0.0.1:8080".into(), ..ServerConfig::default() };
        assert_eq!(
            delivery_warnings(&config),
            [DeliveryWarning::NoEmail, DeliveryWarning::NoWebhook, DeliveryWarning::LoopbackPublicUrl]
        );
    }
}
