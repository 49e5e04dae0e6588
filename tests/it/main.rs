//! The integration test binary: one module per area, each running the real binary or library
//! against local resources only.

mod secrets;
