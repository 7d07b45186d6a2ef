//! Prometheus counters, kept in atomics and written as text at `/metrics`.
//!
//! Only counts: no patient, clinic or path parameters appear as labels.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub requests: [AtomicU64; 5],
    pub check_ins: AtomicU64,
    pub alerts_opened: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins: AtomicU64,
    /// Password checks refused because too many were running (a login flood).
    pub logins_refused_busy: AtomicU64,
    pub messages_sent: AtomicU64,
    pub messages_retried: AtomicU64,
    pub messages_failed: AtomicU64,
    pub messages_skipped: AtomicU64,
    /// Connections open now (kept by the accept loop, `listen.rs`).
    pub connections_open: Arc<AtomicU64>,
    /// Connections refused because the limit was reached and every open one was answering.
    pub connections_refused: AtomicU64,
    /// Connections closed to make room for a newer one (the limit was reached).
    pub connections_evicted: AtomicU64,
    /// Connections closed because a request's head, or its body, did not arrive in time; or
    /// because nothing was asked, or none of an answer taken, for the idle timeout.
    pub header_timeouts: AtomicU64,
    pub body_timeouts: AtomicU64,
    pub idle_timeouts: AtomicU64,
    pub write_timeouts: AtomicU64,
    /// Requests answered `503 overloaded` because too many were in flight (`overload.rs`).
    pub shed: AtomicU64,
}

impl Metrics {
    pub fn record_status(&self, status: u16) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, database_up: Option<bool>) -> String {
        let mut s = String::new();
        s.push_str("# HELP needlepath_http_requests_total HTTP responses by status class.\n");
        s.push_str("# TYPE needlepath_http_requests_total counter\n");
        for (i, c) in self.requests.iter().enumerate() {
            s.push_str(&format!(
                "needlepath_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        for (name, help, c) in [
            ("needlepath_check_ins_total", "Check-ins submitted.", &self.check_ins),
            ("needlepath_alerts_opened_total", "Alerts opened by check-ins.", &self.alerts_opened),
            ("needlepath_logins_total", "Successful staff logins.", &self.logins),
            ("needlepath_logins_failed_total", "Failed staff logins.", &self.logins_failed),
            (
                "needlepath_password_checks_refused_busy_total",
                "Password checks refused with 503 because too many were running.",
                &self.logins_refused_busy,
            ),
            ("needlepath_messages_sent_total", "Messages accepted by their receiver.", &self.messages_sent),
            (
                "needlepath_messages_retried_total",
                "Message deliveries that failed and will be retried.",
                &self.messages_retried,
            ),
            ("needlepath_messages_failed_total", "Messages given up (dead letters).", &self.messages_failed),
            (
                "needlepath_requests_shed_total",
                "Requests answered 503 overloaded because too many were in flight.",
                &self.shed,
            ),
            (
                "needlepath_messages_skipped_total",
                "Messages not sent by design (opt-out, no address).",
                &self.messages_skipped,
            ),
        ] {
            s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n", c.load(Ordering::Relaxed)));
        }
        s.push_str("# HELP needlepath_connections_open Client connections open now.\n");
        s.push_str("# TYPE needlepath_connections_open gauge\n");
        s.push_str(&format!("needlepath_connections_open {}\n", self.connections_open.load(Ordering::Relaxed)));
        for (name, help, c) in [
            (
                "needlepath_connections_refused_total",
                "Connections refused with 503: the limit was reached and every open connection was answering a request.",
                &self.connections_refused,
            ),
            (
                "needlepath_connections_evicted_total",
                "Connections closed to make room for a newer one: the quietest, with no request being answered.",
                &self.connections_evicted,
            ),
        ] {
            s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n", c.load(Ordering::Relaxed)));
        }
        s.push_str("# HELP needlepath_connection_timeouts_total Connections closed by a deadline: a request's head or body not in time, nothing asked (idle), or an answer not taken (write).\n");
        s.push_str("# TYPE needlepath_connection_timeouts_total counter\n");
        for (kind, c) in [
            ("header", &self.header_timeouts),
            ("body", &self.body_timeouts),
            ("idle", &self.idle_timeouts),
            ("write", &self.write_timeouts),
        ] {
            s.push_str(&format!(
                "needlepath_connection_timeouts_total{{kind=\"{kind}\"}} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        if let Some(up) = database_up {
            s.push_str(
                "# HELP needlepath_database_up Whether the database answered.\n# TYPE needlepath_database_up gauge\n",
            );
            s.push_str(&format!("needlepath_database_up {}\n", u8::from(up)));
        }
        s
    }
}
