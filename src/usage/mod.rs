//! Usage attribution (issue 16): which model really answered a request, and what it cost.
//! Hosts send the raw headers/trailers they saw (`usage.record`); [`record`] normalises them
//! into a [`record::LedgerRecord`], [`ledger`] keeps the records on disk (bounded, shared by
//! processes), [`summary`] groups them for `usage.summary`, and [`seams`] serves the curated
//! view and health. The async helpers here run the blocking file I/O off the runtime.

pub mod ledger;
pub mod record;
pub mod seams;
pub mod summary;
pub mod table;

use ledger::{Ledger, ReadOutcome};
use record::LedgerRecord;

/// Appends a record to the ledger, on a blocking thread.
pub async fn append(ledger: Ledger, rec: LedgerRecord) -> Result<(), String> {
    tokio::task::spawn_blocking(move || ledger.append(&rec))
        .await
        .map_err(|e| format!("the usage writer failed: {e}"))?
}

/// Reads the ledger within `[since, until)` (ms), on a blocking thread.
pub async fn read(
    ledger: Ledger,
    since: Option<u64>,
    until: Option<u64>,
) -> Result<ReadOutcome, String> {
    tokio::task::spawn_blocking(move || ledger.read(since, until))
        .await
        .map_err(|e| format!("the usage reader failed: {e}"))?
}
