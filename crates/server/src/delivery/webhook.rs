//! A signed JSON POST, for SMS gateways and the clinic's own systems.
//!
//! The receiver checks `X-Needlepath-Signature` (`v1=` + hex HMAC-SHA256 of
//! `"{timestamp}.{body}"` under the shared secret) and rejects stale `X-Needlepath-Timestamp`s
//! ([`verify`] does both), and can drop repeats by `Idempotency-Key`. Redirects are not followed.
//!
//! Only public addresses are reached unless `allow_private_addresses` is set: IP literals are
//! checked before anything is sent, and names are resolved by `GuardedResolver`, which hands
//! the connector only the addresses it has checked (see [`super::address_guard`]).

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use ring::hmac;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::address_guard::{classify, refusal};
use super::{ConfigError, Delivered, DeliveryError, brief};

/// Where a webhook posts (`[webhook]` in the configuration).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `https://…` (or `http://…`), without user or password in it.
    pub url: String,
    /// The shared HMAC secret, at least 16 bytes.
    pub secret: String,
    /// Lets the webhook reach loopback, private, link-local and other non-public addresses (a
    /// gateway on the clinic's own network). Off by default.
    #[serde(default)]
    pub allow_private_addresses: bool,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
}

fn default_timeout() -> u32 {
    10
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("allow_private_addresses", &self.allow_private_addresses)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

type HttpsClient = Client<HttpsConnector<HttpConnector<GuardedResolver>>, Full<Bytes>>;

/// Posts to one configured webhook.
#[derive(Clone)]
pub struct WebhookSender {
    client: HttpsClient,
    uri: Uri,
    /// The host when the URL names it by IP address (the resolver is not asked about those).
    literal: Option<IpAddr>,
    secret: Arc<str>,
    allow_private: bool,
    timeout: Duration,
}

impl fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSender").field("uri", &self.uri).field("allow_private", &self.allow_private).finish()
    }
}

impl WebhookSender {
    /// Checks the configuration; https is verified against the Mozilla roots (`webpki-roots`).
    pub fn new(cfg: &WebhookConfig) -> Result<Self, ConfigError> {
        Self::build(cfg, Vec::new())
    }

    /// The same, also trusting the CA certificates in the PEM file `ca_file` (a private CA).
    pub fn with_extra_roots(cfg: &WebhookConfig, ca_file: &Path) -> Result<Self, ConfigError> {
        Self::build(cfg, super::read_pem_certificates("webhook ca_file", ca_file)?)
    }

    fn build(cfg: &WebhookConfig, extra: Vec<rustls::pki_types::CertificateDer<'static>>) -> Result<Self, ConfigError> {
        const URL: &str = "an http:// or https:// URL with a host and no user or password";
        let uri: Uri = cfg
            .url
            .trim()
            .parse()
            .map_err(|e| ConfigError::invalid("webhook.url", format!("{:?} is not a URL: {e}", cfg.url), URL))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(ConfigError::invalid("webhook.url", "the scheme is not http or https", URL));
        }
        let authority = uri.authority().ok_or_else(|| ConfigError::invalid("webhook.url", "no host", URL))?;
        if authority.as_str().contains('@') {
            return Err(ConfigError::invalid("webhook.url", "it has a user or password in it", URL));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(ConfigError::invalid("webhook.url", "no host", URL));
        }
        if cfg.secret.len() < 16 {
            return Err(ConfigError::invalid(
                "webhook.secret",
                "shorter than 16 bytes",
                "a random string of 16 bytes or more",
            ));
        }
        if cfg.timeout_seconds == 0 || cfg.timeout_seconds > 300 {
            return Err(ConfigError::invalid("webhook.timeout_seconds", cfg.timeout_seconds.to_string(), "1 to 300"));
        }
        let timeout = Duration::from_secs(u64::from(cfg.timeout_seconds));
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for cert in extra {
            roots.add(cert).map_err(|e| ConfigError::invalid("webhook ca_file", e.to_string(), "CA certificates"))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ConfigError::invalid("webhook.url", format!("TLS cannot be set up: {e}"), URL))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let resolver = GuardedResolver { allow_private: cfg.allow_private_addresses };
        let mut http = HttpConnector::new_with_resolver(resolver);
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        let https =
            HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).build(https);
        Ok(Self {
            literal: host.trim_start_matches('[').trim_end_matches(']').parse().ok(),
            client,
            uri,
            secret: cfg.secret.as_str().into(),
            allow_private: cfg.allow_private_addresses,
            timeout,
        })
    }

    /// Posts `body`, signed for the moment `now`.
    pub async fn post(
        &self,
        idempotency_key: &str,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DeliveryError> {
        if let Some(ip) = self.literal
            && !self.allow_private
            && let Some(class) = classify(ip)
        {
            return Err(DeliveryError::permanent(refusal(&ip.to_string(), class)));
        }
        let key = HeaderValue::from_str(idempotency_key)
            .map_err(|_| DeliveryError::permanent("the idempotency key is not a valid header value"))?;
        let bytes = serde_json::to_vec(body)
            .map_err(|e| DeliveryError::permanent(format!("the body could not be written as JSON: {e}")))?;
        let timestamp = now.timestamp();
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("needlepath/", env!("CARGO_PKG_VERSION")))
            .header("Idempotency-Key", key)
            .header("X-Needlepath-Timestamp", timestamp.to_string())
            .header("X-Needlepath-Signature", signature(&self.secret, timestamp, &bytes))
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| DeliveryError::permanent(format!("the request could not be built: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, self.client.request(request)).await.map_err(|_| {
            DeliveryError::retry(format!("no answer from the webhook within {}s", self.timeout.as_secs()))
        })?;
        let response = answer.map_err(|e| classify_error(&e))?;
        let status = response.status();
        let code = status.as_u16();
        if status.is_success() {
            return Ok(Delivered { detail: format!("HTTP {code}") });
        }
        if status.is_redirection() {
            let to = response.headers().get(hyper::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            return Err(DeliveryError::permanent(format!(
                "the webhook answered HTTP {code} (a redirect to {}); redirects are not followed, so set webhook.url to the final address",
                brief(to, 120)
            )));
        }
        let retryable = matches!(code, 408 | 425 | 429) || status.is_server_error();
        Err(DeliveryError { retryable, reason: format!("the webhook answered HTTP {code}") })
    }
}

/// Why the request did not get an answer: a refused address (permanent), or a connection, TLS or
/// protocol failure (worth retrying).
fn classify_error(e: &hyper_util::client::legacy::Error) -> DeliveryError {
    if let Some(tls) = super::find_tls_error(e) {
        return DeliveryError::retry(format!("TLS with the webhook failed: {tls}"));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut deepest = e.to_string();
    while let Some(err) = source {
        if let Some(r) = err.downcast_ref::<ResolveError>() {
            return match r {
                ResolveError::Refused(reason) => DeliveryError::permanent(reason.clone()),
                ResolveError::Lookup(..) => DeliveryError::retry(r.to_string()),
            };
        }
        deepest = err.to_string();
        source = err.source();
    }
    let what = if e.is_connect() { "could not connect to the webhook" } else { "the webhook request failed" };
    DeliveryError::retry(format!("{what}: {}", brief(&deepest, 160)))
}

/// `"v1="` + hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1=");
    for b in tag.as_ref() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `header` (one signature, or several separated by commas while a secret is rotated)
/// signs `body` at `timestamp` under `secret`, and `timestamp` is within `tolerance_seconds` of
/// `now`. The signatures are compared in constant time.
pub fn verify(
    secret: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    tolerance_seconds: i64,
) -> bool {
    if tolerance_seconds < 0 || now.timestamp().abs_diff(timestamp) > tolerance_seconds.unsigned_abs() {
        return false;
    }
    let expected = signature(secret, timestamp, body);
    header
        .split(',')
        .map(|candidate| expected.as_bytes().ct_eq(candidate.trim().as_bytes()))
        .fold(subtle::Choice::from(0), |any, this| any | this)
        .into()
}

/// Resolves names with the system resolver and passes on only the addresses the guard allows,
/// so the connection goes to an address that was checked.
#[derive(Debug, Clone)]
struct GuardedResolver {
    allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error("{0}")]
    Refused(String),
    #[error("could not look up the webhook host {0}: {1}")]
    Lookup(String, #[source] std::io::Error),
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| ResolveError::Lookup(host.clone(), e))?
                .collect();
            if allow_private {
                return Ok(found.into_iter());
            }
            let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|a| classify(a.ip()).is_none());
            match (public.is_empty(), refused.first()) {
                (false, _) => Ok(public.into_iter()),
                (true, Some(a)) => {
                    let class = classify(a.ip()).unwrap_or(super::address_guard::AddressClass::Reserved);
                    Err(ResolveError::Refused(refusal(&format!("{host} ({})", a.ip()), class)))
                }
                (true, None) => Err(ResolveError::Lookup(host, std::io::Error::other("no addresses"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            secret: "0123456789abcdef".into(),
            allow_private_addresses: false,
            timeout_seconds: 5,
        }
    }

    fn err(c: &WebhookConfig) -> String {
        WebhookSender::new(c).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn config_errors_name_the_key() {
        assert!(WebhookSender::new(&cfg("https://hooks.example.org/needlepath")).is_ok());
        assert!(WebhookSender::new(&cfg("http://hooks.example.org:8080")).is_ok());
        for bad in ["ftp://x.example/", "https://user:pw@x.example/", "/relative", "not a url", "https://"] {
            assert!(err(&cfg(bad)).starts_with("webhook.url:"), "{bad}: {}", err(&cfg(bad)));
        }
        let e = err(&WebhookConfig { secret: "short".into(), ..cfg("https://x.example/") });
        assert!(e.starts_with("webhook.secret:") && !e.contains("short\""), "{e}");
        assert!(
            err(&WebhookConfig { timeout_seconds: 0, ..cfg("https://x.example/") })
                .starts_with("webhook.timeout_seconds:")
        );
    }

    #[test]
    fn config_reads_from_toml_and_hides_the_secret() {
        let c: WebhookConfig = toml::from_str("url = \"https://x.example/\"\nsecret = \"0123456789abcdef-x\"").unwrap();
        assert_eq!((c.allow_private_addresses, c.timeout_seconds), (false, 10));
        assert!(!format!("{c:?}").contains("0123456789abcdef-x"));
        assert!(toml::from_str::<WebhookConfig>("url = \"u\"\nsecret = \"s\"\nextra = 1").is_err());
    }

    #[test]
    fn signature_is_hex_hmac_sha256_of_timestamp_dot_body() {
        // HMAC-SHA256("key", "1700000000.{}"), computed independently with Python's hmac module.
        assert_eq!(
            signature("key", 1_700_000_000, b"{}"),
            "v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
