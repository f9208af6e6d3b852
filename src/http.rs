//! One bounded HTTP GET: total timeout, body size limit, no `Authorization` header unless a key
//! is given, and no key on redirects to another host (reqwest drops sensitive headers when a
//! redirect changes host). Shared by the gateway and models.dev clients.

use std::time::Duration;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use serde::{Deserialize, Serialize};

/// Largest body accepted from the gateway or models.dev.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// What a server said about a body's version, to ask next time whether it changed
/// (`If-None-Match` / `If-Modified-Since` → `304 Not Modified`), plus the body's own hash for
/// servers that say nothing: an identical body is recognised without parsing it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validators {
    /// `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// OmniRoute's `X-Model-Catalog-Version`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_version: Option<String>,
    /// Hex sha256 of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
}

impl Validators {
    /// Whether `other` describes the same body: the same hash. (OmniRoute 3.7.9 sends
    /// `X-Model-Catalog-Version: model-metadata-v1:static` whatever the list holds — combos
    /// come and go under the same value — so the version is recorded, never trusted.)
    pub fn same_body(&self, other: &Validators) -> bool {
        self.body_hash.is_some() && self.body_hash == other.body_hash
    }
}

/// A response that arrived in full.
#[derive(Debug)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The whole body.
    pub body: Vec<u8>,
    /// `ETag`, `Last-Modified`, `X-Model-Catalog-Version` and the body hash.
    pub validators: Validators,
}

impl HttpResponse {
    /// The body parsed as JSON, or a short description of why not.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let snippet: String = String::from_utf8_lossy(&self.body[..self.body.len().min(60)])
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            format!(
                "not JSON ({e}; content-type {}; starts with {snippet:?})",
                self.content_type.as_deref().unwrap_or("none")
            )
        })
    }
}

/// Why a GET produced no response.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Connection refused, DNS, TLS…
    #[error("{0}")]
    Unreachable(String),
    /// No complete answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The body exceeded the size limit.
    #[error("the response is larger than the {0}-byte limit")]
    TooLarge(usize),
    /// The connection broke while reading the body.
    #[error("the response body could not be read: {0}")]
    Body(String),
}

/// A shared HTTP client (connection pool), built on first use so that start-up and requests
/// that never touch the network do not pay for the TLS set-up.
#[derive(Clone, Default)]
pub struct Http {
    client: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
}

impl Http {
    /// A client with rustls, gzip, at most 5 redirects.
    pub fn new() -> Http {
        Http::default()
    }

    /// The client, built on first use; a build failure (no TLS roots, …) is reported on every
    /// request rather than hidden behind a default client without this configuration.
    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(5))
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("omniroute-rpc/", env!("CARGO_PKG_VERSION")))
                .tcp_nodelay(true)
                .build()
                .map_err(|e| format!("the HTTP client could not be built ({e})"))
        });
        built
            .as_ref()
            .map_err(|why| FetchError::Unreachable(why.clone()))
    }

    /// GETs `url` within `timeout`, reading at most `max_body` bytes.
    pub async fn get(
        &self,
        url: &str,
        key: Option<&str>,
        timeout: Duration,
        max_body: usize,
    ) -> Result<HttpResponse, FetchError> {
        self.get_if_changed(url, key, timeout, max_body, None).await
    }

    /// As [`Http::get`], asking the server whether the body changed since `known` (a `304`
    /// answer then has an empty body).
    pub async fn get_if_changed(
        &self,
        url: &str,
        key: Option<&str>,
        timeout: Duration,
        max_body: usize,
        known: Option<&Validators>,
    ) -> Result<HttpResponse, FetchError> {
        let work = async {
            let mut req = self.client()?.get(url).header(ACCEPT, "application/json");
            if let Some(k) = key.filter(|k| !k.is_empty()) {
                req = req.header(AUTHORIZATION, format!("Bearer {k}"));
            }
            if let Some(v) = known {
                if let Some(etag) = &v.etag {
                    req = req.header(IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &v.last_modified {
                    req = req.header(IF_MODIFIED_SINCE, lm);
                }
            }
            let mut resp = req.send().await.map_err(|e| classify(&e, timeout))?;
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let content_type = header(CONTENT_TYPE.as_str());
            let mut validators = Validators {
                etag: header(ETAG.as_str()),
                last_modified: header(LAST_MODIFIED.as_str()),
                catalog_version: header("x-model-catalog-version"),
                body_hash: None,
            };
            if resp.content_length().is_some_and(|n| n > max_body as u64) {
                return Err(FetchError::TooLarge(max_body));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| match classify(&e, timeout) {
                    FetchError::Unreachable(r) => FetchError::Body(r),
                    other => other,
                })?
            {
                if body.len() + chunk.len() > max_body {
                    return Err(FetchError::TooLarge(max_body));
                }
                body.extend_from_slice(&chunk);
            }
            if status != 304 {
                validators.body_hash = Some(crate::hash::sha256_hex(&body));
            }
            Ok(HttpResponse {
                status,
                content_type,
                body,
                validators,
            })
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(timeout)),
        }
    }
}

fn classify(e: &reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    // The URL is reported by the caller; strip it from reqwest's text to keep messages short.
    let mut reason = e.without_url_ref().to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    FetchError::Unreachable(reason)
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        if self.is_connect() {
            "connection failed".into()
        } else if self.is_redirect() {
            "too many redirects".into()
        } else if self.is_decode() {
            "response could not be decoded".into()
        } else {
            "request failed".into()
        }
    }
}
