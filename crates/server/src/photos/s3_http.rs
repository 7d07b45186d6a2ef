//! The HTTP client the S3 photo store talks through: hyper with rustls on the ring provider,
//! the stack the webhook delivery already uses (`delivery::webhook`).
//!
//! `object_store`'s own transport is reqwest, whose rustls needs either aws-lc (a second crypto
//! library, built from C) or a process-wide default provider installed at run time; and enabling
//! reqwest's rustls in the service would make every `reqwest::Client` in the tests panic without
//! that provider. Implementing `object_store`'s [`HttpConnector`] here keeps one TLS stack.
//!
//! Plain `http://` is refused unless the store allows it (`photos_s3_allow_http`, for a local
//! emulator), as `object_store` itself would. Every request has a deadline for its answer's
//! head; `object_store` retries what fails to connect or is cut short.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::BodyExt as _;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use object_store::client::{
    ClientConfigKey, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpRequestBody, HttpResponse,
    HttpResponseBody, HttpService,
};
use object_store::{ClientOptions, Error as StoreError};

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an answer's head may take (a photo is sent in one request of at most 20 MiB).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Makes [`RingHttp`] clients for `object_store`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RingConnector;

impl HttpConnector for RingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let allow_http = options.get_config_value(&ClientConfigKey::AllowHttp).is_some_and(|v| v == "true");
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Generic { store: "S3", source: Box::new(e) })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        tcp.set_nodelay(true);
        let builder = HttpsConnectorBuilder::new().with_tls_config(tls);
        let https = if allow_http { builder.https_or_http() } else { builder.https_only() };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https.enable_http1().wrap_connector(tcp));
        Ok(HttpClient::new(RingHttp { client }))
    }
}

/// One pooled hyper client.
#[derive(Debug)]
struct RingHttp {
    client: Client<HttpsConnector<TcpConnector>, HttpRequestBody>,
}

fn timed_out() -> HttpError {
    HttpError::new(
        HttpErrorKind::Timeout,
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer from the object store within {}s", ANSWER_TIMEOUT.as_secs()),
        ),
    )
}

#[async_trait]
impl HttpService for RingHttp {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, self.client.request(req)).await.map_err(|_| timed_out())?;
        let response = answer.map_err(|e| {
            let kind = if e.is_connect() { HttpErrorKind::Connect } else { HttpErrorKind::Request };
            HttpError::new(kind, e)
        })?;
        let (parts, body) = response.into_parts();
        let body = body.map_err(|e| {
            let kind = if e.is_timeout() { HttpErrorKind::Timeout } else { HttpErrorKind::Interrupted };
            HttpError::new(kind, e)
        });
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
    }
}
