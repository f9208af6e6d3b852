//! Reliability and security suite (issue #9), through the real binary: hostile stdin in both
//! framings, gateway faults, the credentials file under concurrency and attack, secrets never
//! leaking, load, option abuse, and the replay of every fuzz seed and fuzz-found crash.
//!
//! Figures (throughput, peak RSS) are printed as `FIGURE …` lines on stderr (`--nocapture`) and
//! appended to `target/reliability-figures.txt`.

mod common;

#[path = "reliability/credentials.rs"]
mod credentials;
#[path = "reliability/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "reliability/gateway_faults.rs"]
mod gateway_faults;
#[path = "reliability/load.rs"]
mod load;
#[path = "reliability/options_abuse.rs"]
mod options_abuse;
#[path = "reliability/secrets.rs"]
mod secrets;
#[path = "reliability/stdin.rs"]
mod stdin;
#[path = "reliability/support.rs"]
mod support;
