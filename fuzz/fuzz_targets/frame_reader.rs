#![no_main]
//! Fuzz target `frame_reader`: the checks live in `checks.rs`, shared with the regression tests
//! (`tests/reliability/fuzz_regressions.rs`) so every committed seed and crash input is replayed
//! by `cargo test` on the stable toolchain too.

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::frame_reader(data);
});
