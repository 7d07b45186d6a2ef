//! Photos in S3-compatible object storage, for clinic groups whose servers share no disk.
//!
//! [`S3Blobs`] keeps the directory store's layout as object names — `[PREFIX/]ab/<sha256>.jpg` —
//! so a backup of either is the same tree of files, and the same conformance suite holds for
//! both (`tests/photo_stores.rs`). A write first asks whether the object is there (content
//! addressing makes the same name the same bytes), and sends it only when it is not; two
//! writers of the same photo at once both send identical bytes, which leaves one correct
//! object. Each upload carries its SHA-256 checksum, so the store itself refuses bytes damaged
//! on the way.
//!
//! Credentials come from the configuration or, when it names none, from the standard AWS
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and the
//! rest `object_store` reads); they never appear in a message or in `Debug` output.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder, Checksum};
use object_store::path::Path;
use object_store::{BackoffConfig, ObjectStore as _, ObjectStoreExt as _, PutPayload, RetryConfig};

use super::blobs::{BlobError, PhotoBlobs, checked, name_in, name_of};
use super::s3_http::RingConnector;

/// Where the S3 photo store is and how to reach it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket (it must exist: the service does not create it).
    pub bucket: String,
    /// Segments before every object name, without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// The service's URL, for S3-compatible stores (MinIO, Ceph, a local emulator); `None`
    /// reaches Amazon S3 in `region`.
    pub endpoint: Option<String>,
    /// `None`: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// `None`: from the AWS environment.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Whether a plain `http://` endpoint may be used (a local emulator only).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "(redacted)"))
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// What `photos_store` accepts, for messages.
pub const S3_URL: &str = "s3://BUCKET or s3://BUCKET/PREFIX (a bucket name of 3 to 63 lowercase letters, digits, \
                          dots and hyphens; prefix segments of letters, digits, '.', '_' and '-')";

/// What an endpoint may be, for messages.
pub const ENDPOINT: &str = "an http:// or https:// URL with a host, without a user, password, path or query";

/// Checks an endpoint's shape; `Ok(true)` when it is plain `http://`. The error says what is
/// wrong (the caller names the setting).
pub fn check_endpoint(endpoint: &str) -> Result<bool, String> {
    let uri: hyper::Uri = endpoint.parse().map_err(|e| format!("it is not a URL ({e})"))?;
    let plain = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => true,
        Some(s) if s.eq_ignore_ascii_case("https") => false,
        _ => return Err("the scheme is not http or https".into()),
    };
    let Some(authority) = uri.authority() else { return Err("it has no host".into()) };
    if authority.as_str().contains('@') {
        return Err("it has a user or password in it".into());
    }
    if authority.host().is_empty() {
        return Err("it has no host".into());
    }
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return Err("it has a path or query".into());
    }
    Ok(plain)
}

impl S3Config {
    /// The bucket and prefix of `s3://BUCKET[/PREFIX]`; the other settings are left as they
    /// are. The error says what is wrong (the caller names the setting).
    pub fn with_url(mut self, url: &str) -> Result<Self, String> {
        let Some(rest) = url.trim().strip_prefix("s3://") else {
            return Err(format!("`{url}` does not start with s3://"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && bucket.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && bucket.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(format!("`{bucket}` is not a bucket name"));
        }
        let prefix = prefix.trim_end_matches('/');
        for segment in prefix.split('/').filter(|_| !prefix.is_empty()) {
            let ok = !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !ok {
                return Err(format!("the prefix `{prefix}` has a segment `{segment}` that is not accepted"));
            }
        }
        self.bucket = bucket.to_string();
        self.prefix = prefix.to_string();
        Ok(self)
    }

    /// `s3://BUCKET[/PREFIX]`, for messages.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Photos as objects in an S3 bucket.
#[derive(Clone)]
pub struct S3Blobs {
    bucket: Arc<AmazonS3>,
    /// `None` when the objects are at the bucket's top.
    prefix: Option<Path>,
    /// Where, in words (no secret).
    place: String,
}

/// Where, and nothing of the client (whose configuration holds the credentials).
impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Blobs").field("place", &self.place).finish_non_exhaustive()
    }
}

/// An object store's error, as a message without credentials (it names the object and what
/// the store answered).
fn remote(e: object_store::Error) -> BlobError {
    BlobError::Remote(e.to_string())
}

/// The probe object's name (not a photo's name, so listings leave it out).
const PROBE: &str = ".needlepath-probe";

impl S3Blobs {
    /// A client for the bucket; nothing is sent until the first call ([`S3Blobs::open`] checks
    /// at once).
    pub fn new(config: &S3Config) -> Result<Self, BlobError> {
        // The AWS environment first, so what the configuration names wins.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_allow_http(config.allow_http)
            .with_checksum_algorithm(Checksum::SHA256)
            .with_http_connector(RingConnector)
            // A few quick retries: a store that is down should fail an upload (and a start) in
            // seconds, not after the three minutes `object_store` would keep trying.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &config.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let client = builder.build().map_err(remote)?;
        let prefix = if config.prefix.is_empty() {
            None
        } else {
            Some(Path::parse(&config.prefix).map_err(|e| BlobError::Remote(format!("prefix: {e}")))?)
        };
        let at = config.endpoint.as_deref().map(|e| format!(" at {e}")).unwrap_or_default();
        Ok(Self { bucket: Arc::new(client), prefix, place: format!("{}{at}", config.url()) })
    }

    /// [`S3Blobs::new`], then writes and reads back a small probe object, so a service whose
    /// bucket is missing, unreachable or not writable with its credentials refuses to start
    /// instead of failing an upload.
    pub async fn open(config: &S3Config) -> Result<Self, BlobError> {
        let blobs = Self::new(config)?;
        let probe = blobs.object(PROBE);
        let text = b"needlepath writes this object at each start to check it can keep photos here";
        blobs.bucket.put(&probe, PutPayload::from_static(text)).await.map_err(remote)?;
        let read = blobs.bucket.get(&probe).await.map_err(remote)?.bytes().await.map_err(remote)?;
        if read.as_ref() != text.as_slice() {
            return Err(BlobError::Remote(format!("{}: the probe object read back differs", blobs.place)));
        }
        Ok(blobs)
    }

    /// `[prefix/]relative`.
    fn object(&self, relative: &str) -> Path {
        match &self.prefix {
            Some(prefix) => Path::from(format!("{}/{relative}", prefix.as_ref())),
            None => Path::from(relative),
        }
    }

    /// The object a photo is kept as: `[prefix/]ab/<name>.jpg`.
    fn path_of(&self, name: &str) -> Result<Path, BlobError> {
        let name = checked(name)?;
        Ok(self.object(&format!("{}/{name}.jpg", &name[..2])))
    }
}

#[async_trait]
impl PhotoBlobs for S3Blobs {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let name = name_of(bytes);
        let path = self.path_of(&name)?;
        match self.bucket.head(&path).await {
            Ok(_) => return Ok(name),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(remote(e)),
        }
        self.bucket.put(&path, PutPayload::from(bytes.to_vec())).await.map_err(remote)?;
        Ok(name)
    }

    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path_of(sha256)?;
        match self.bucket.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(remote)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(remote(e)),
        }
    }

    async fn names(&self) -> Result<Vec<String>, BlobError> {
        let mut listing = self.bucket.list(self.prefix.as_ref());
        let mut names = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(remote)?;
            let parts: Vec<_> = match &self.prefix {
                Some(prefix) => match meta.location.prefix_match(prefix) {
                    Some(rest) => rest.collect(),
                    None => continue,
                },
                None => meta.location.parts().collect(),
            };
            if let [shard, file] = parts.as_slice()
                && let Some(name) = name_in(file.as_ref())
                && shard.as_ref() == &name[..2]
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn describe(&self) -> String {
        format!("the S3 bucket {}", self.place)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_store_url_names_a_bucket_and_a_prefix_or_is_refused() {
        let c = S3Config::default().with_url("s3://clinic-photos").unwrap();
        assert_eq!((c.bucket.as_str(), c.prefix.as_str()), ("clinic-photos", ""));
        let c = S3Config::default().with_url("s3://clinic.photos/group-a/np/").unwrap();
        assert_eq!((c.bucket.as_str(), c.prefix.as_str()), ("clinic.photos", "group-a/np"));
        assert_eq!(c.url(), "s3://clinic.photos/group-a/np");
        for bad in ["clinic-photos", "https://x/y", "s3://", "s3://ab", "s3://Upper", "s3://-x-", "s3://b_c"] {
            assert!(S3Config::default().with_url(bad).is_err(), "{bad}");
        }
        for bad in ["s3://bucket/a//b", "s3://bucket/../x", "s3://bucket/a b", "s3://bucket/%2e"] {
            let e = S3Config::default().with_url(bad).unwrap_err();
            assert!(e.contains("prefix"), "{bad}: {e}");
        }
    }

    #[test]
    fn an_endpoint_is_a_bare_http_or_https_url() {
        assert_eq!(check_endpoint("https://s3.example.org"), Ok(false));
        assert_eq!(check_endpoint("http://127.0.0.1:9000"), Ok(true));
        for (bad, why) in [
            ("s3.example.org", "scheme"),
            ("ftp://s3.example.org", "scheme"),
            ("https://key:secret@s3.example.org", "user or password"),
            ("https://s3.example.org/bucket", "path"),
            ("https://s3.example.org/?x=1", "query"),
        ] {
            let e = check_endpoint(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_secret_is_never_in_debug_output() {
        let c = S3Config {
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some("hunter2-secret".into()),
            ..S3Config::default()
        }
        .with_url("s3://clinic-photos/np")
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"), "{c:?}");
        let blobs = S3Blobs::new(&c).unwrap();
        assert!(!format!("{blobs:?}").contains("hunter2"), "{blobs:?}");
        assert!(!blobs.describe().contains("hunter2"));
        assert_eq!(blobs.describe(), "the S3 bucket s3://clinic-photos/np");
    }
}
