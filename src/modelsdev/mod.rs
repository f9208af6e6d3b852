//! The models.dev catalogue: the download (bounded, retried on transient failures) and the
//! lookup index built once per download. Disk caching lives in `store::disk`.

pub mod index;
mod lenient;

use std::time::Duration;

use crate::http::{FetchError, Http, MAX_BODY};

/// Attempts for one download: the first try and two retries.
const ATTEMPTS: u32 = 3;
/// Backoff before the first retry; doubled each time.
const BACKOFF: Duration = Duration::from_millis(100);

/// Downloads the catalogue. A timeout, a refused connection or a 5xx is retried with short
/// backoff; a 4xx is final. Returns the raw body, or why it failed.
pub async fn download(http: &Http, url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut delay = BACKOFF;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match http.get(url, None, timeout, MAX_BODY).await {
            Ok(resp) if (200..300).contains(&resp.status) => return Ok(resp.body),
            Ok(resp) if resp.status >= 500 => last = format!("{url} answered HTTP {}", resp.status),
            Ok(resp) => return Err(format!("{url} answered HTTP {}", resp.status)),
            Err(
                e @ (FetchError::Timeout(_) | FetchError::Unreachable(_) | FetchError::Body(_)),
            ) => last = format!("{url}: {e}"),
            Err(e @ FetchError::TooLarge(_)) => return Err(format!("{url}: {e}")),
        }
        if attempt < ATTEMPTS {
            tracing::debug!("models.dev attempt {attempt} failed: {last}; retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    Err(last)
}
