//! The models.dev catalogue: the download (bounded, retried on transient failures) and the
//! lookup index built once per download. Disk caching lives in `store::disk`.

pub mod index;
mod lenient;

use std::time::Duration;

use crate::http::{FetchError, Http, Validators, MAX_BODY};

/// Attempts for one download: the first try and two retries.
const ATTEMPTS: u32 = 3;
/// Backoff before the first retry; doubled each time.
const BACKOFF: Duration = Duration::from_millis(100);

/// What a download brought.
pub enum Download {
    /// A body, with its validators.
    Body(Vec<u8>, Validators),
    /// The copy the caller has is current: a 304, or a byte-identical body.
    Unchanged(Validators),
}

/// Downloads the catalogue, asking whether the copy described by `known` changed. A timeout, a
/// refused connection or a 5xx is retried with short backoff; a 4xx is final. Returns the raw
/// body (or that it is unchanged), or why it failed.
pub async fn download(
    http: &Http,
    url: &str,
    timeout: Duration,
    known: Option<&Validators>,
) -> Result<Download, String> {
    let mut delay = BACKOFF;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match http
            .get_if_changed(url, None, timeout, MAX_BODY, known)
            .await
        {
            Ok(resp) if resp.status == 304 && known.is_some() => {
                return Ok(Download::Unchanged(known.cloned().unwrap_or_default()))
            }
            Ok(resp) if (200..300).contains(&resp.status) => {
                if known.is_some_and(|k| resp.validators.same_body(k)) {
                    return Ok(Download::Unchanged(resp.validators));
                }
                return Ok(Download::Body(resp.body, resp.validators));
            }
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
