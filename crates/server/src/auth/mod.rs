//! Who is asking: login sessions (cookie), API tokens (bearer), CSRF, and the client address.
//!
//! The clinic of every request comes from here — from the stored login or token — and never
//! from the body or the path. Routes declare who may call them in `routes.rs` (by the rules of
//! `policy.rs`); this module only establishes identity, and says why it refused a request as a
//! typed [`AuthRefusal`] that the composition root answers as problem+json or as a page.

pub mod limiter;
pub mod secrets;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use needlepath_store::{Actor, ClinicId, LoginKind, PatientId, Role, StaffId, TokenId, Who};

use crate::App;
use crate::clinic::{ClinicError, access};
use crate::problem::ApiError;

/// The login cookie. `__Host-` would pin it further but requires TLS, which a clinic's
/// loopback test install does not have; `Secure` is added whenever the public URL is https.
pub const COOKIE: &str = "np_session";
/// The header that carries the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authed {
    pub actor: Actor,
    /// The login's CSRF token (cookie sessions only).
    pub csrf: Option<String>,
    /// The login token's hash (cookie sessions only), to end the session on logout.
    pub login_hash: Option<String>,
}

impl Authed {
    pub fn clinic(&self) -> ClinicId {
        self.actor.clinic
    }

    pub fn role(&self) -> Option<Role> {
        match self.actor.who {
            Who::Staff(_, r) | Who::Token(_, r) => Some(r),
            _ => None,
        }
    }

    pub fn patient(&self) -> Option<PatientId> {
        match self.actor.who {
            Who::Patient(p) => Some(p),
            _ => None,
        }
    }

    pub fn staff(&self) -> Option<StaffId> {
        self.actor.who.staff()
    }
}

/// Where the request came from, as far as the configured trusted proxies let us know.
#[derive(Debug, Clone)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Authed>().cloned().ok_or_else(ApiError::unauthenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ClientIp>().cloned().ok_or_else(ApiError::internal)
    }
}

/// The client address: the peer, or — only when the peer is a trusted proxy — the last address
/// it appended to `X-Forwarded-For`.
pub fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer_ip = peer.map(|p| p.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer_ip) {
        return peer_ip;
    }
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer_ip)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let s = value.to_str().map_err(|_| ());
    Some(s.and_then(|s| s.strip_prefix("Bearer ").map(|t| t.trim().to_string()).ok_or(())))
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why authentication refused a request outright (before any route ran). The composition root
/// (`routes.rs`) answers it as problem+json under `/api/` or as an error page elsewhere; this
/// module never renders.
#[derive(Debug)]
pub enum AuthRefusal {
    /// A bearer token that is malformed, unknown or revoked.
    InvalidToken,
    /// A cookie-authenticated API change without the session's CSRF token.
    CsrfFailed,
    /// A change whose `Origin` is another site.
    CrossOrigin,
    /// The records could not say who is asking (the database is unavailable, say).
    Lookup(ClinicError),
}

impl From<ClinicError> for AuthRefusal {
    fn from(e: ClinicError) -> Self {
        AuthRefusal::Lookup(e)
    }
}

impl From<AuthRefusal> for ApiError {
    fn from(r: AuthRefusal) -> Self {
        match r {
            AuthRefusal::InvalidToken => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the API token is unknown or revoked, or the admin who made it is no longer an active admin",
            ),
            AuthRefusal::CsrfFailed => ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                format!("a cookie-authenticated change needs the session's CSRF token in the {CSRF_HEADER} header"),
            ),
            AuthRefusal::CrossOrigin => {
                ApiError::new(StatusCode::FORBIDDEN, "cross_origin", "a change must come from this site's own pages")
            }
            AuthRefusal::Lookup(e) => e.into(),
        }
    }
}

/// Resolves the caller and puts [`Authed`] (when there is one) and [`ClientIp`] into the
/// request. A bad bearer token is refused outright; a stale cookie just means anonymous. Unsafe
/// requests must come from this site, and a cookie-authenticated API change must carry the
/// session's CSRF token.
pub async fn identify(app: &App, req: &mut Request) -> Result<(), AuthRefusal> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let ip = client_ip(peer, req.headers(), &app.config.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    if let Some(authed) = resolve(app, req.headers(), ip).await? {
        if authed.csrf.is_some() && is_unsafe(req.method()) && req.uri().path().starts_with("/api/") {
            let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let expected = authed.csrf.as_deref().unwrap_or_default();
            if !secrets::same_secret(sent, expected) {
                return Err(AuthRefusal::CsrfFailed);
            }
        }
        req.extensions_mut().insert(authed);
    }
    if is_unsafe(req.method()) && !same_origin(req.headers(), &app.config.public_url) {
        return Err(AuthRefusal::CrossOrigin);
    }
    Ok(())
}

/// Browsers send `Origin` on every unsafe request; when present it must be our own site (or the
/// host the request was sent to, for installs reached under another name).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if origin.trim_end_matches('/') == public_url.trim_end_matches('/') {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, h)| !host.is_empty() && h == host)
}

async fn resolve(app: &App, headers: &HeaderMap, ip: IpAddr) -> Result<Option<Authed>, AuthRefusal> {
    let ip = Some(ip.to_string());
    if let Some(token) = bearer(headers) {
        let token = token.map_err(|()| AuthRefusal::InvalidToken)?;
        let found = access::token_by_hash(app, &secrets::token_hash(&token)).await?.ok_or(AuthRefusal::InvalidToken)?;
        let who = Who::Token(TokenId(found.id.0), found.role);
        return Ok(Some(Authed { actor: Actor { clinic: found.clinic, who, ip }, csrf: None, login_hash: None }));
    }
    let Some(token) = cookie_value(headers, COOKIE) else { return Ok(None) };
    let hash = secrets::token_hash(&token);
    let Some((login, staff)) = access::caller_of_login(app, &hash).await? else { return Ok(None) };
    let who = match (login.kind, staff) {
        (LoginKind::Patient, _) => Who::Patient(PatientId(login.principal)),
        (LoginKind::Staff, Some(staff)) => Who::Staff(staff.id, staff.role),
        (LoginKind::Staff, None) => return Ok(None),
    };
    Ok(Some(Authed {
        actor: Actor { clinic: login.clinic, who, ip },
        csrf: Some(login.csrf_token),
        login_hash: Some(hash),
    }))
}

/// The `Set-Cookie` value that starts a login session.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The cookie that marks a device a staff member logged in from (its secret; the store keeps
/// the hash): attempts from it are throttled apart from everyone else's, so guessing at an
/// account never slows its owner down (issue 14, defect 3).
pub const DEVICE_COOKIE: &str = "np_device";

/// The device cookie's secret in a request, if it sent one.
pub fn device_secret(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, DEVICE_COOKIE).filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The `Set-Cookie` value that remembers a device for a year.
pub fn device_cookie(secret: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{DEVICE_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}")
}

/// The `Set-Cookie` value that ends it.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_only_believed_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.2".parse().unwrap());
        let proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(Some(proxy), &h, &[]), proxy.ip());
        assert_eq!(client_ip(Some(proxy), &h, &[proxy.ip()]), "10.0.0.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; np_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, COOKIE).as_deref(), Some("abc"));
    }

    #[test]
    fn auth_refusals_keep_their_status_and_code() {
        let cases = [
            (AuthRefusal::InvalidToken, StatusCode::UNAUTHORIZED, "invalid_token"),
            (AuthRefusal::CsrfFailed, StatusCode::FORBIDDEN, "csrf_failed"),
            (AuthRefusal::CrossOrigin, StatusCode::FORBIDDEN, "cross_origin"),
            (
                AuthRefusal::Lookup(ClinicError::Store(needlepath_store::StoreError::NotFound("staff"))),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
        ];
        for (refusal, status, code) in cases {
            let e = ApiError::from(refusal);
            assert_eq!((e.status, e.code), (status, code));
        }
    }

    #[test]
    fn origin_must_be_ours() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h, "http://127.0.0.1:8080"));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h, "http://127.0.0.1:8080"));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h, "http://clinic.example"));
    }
}
