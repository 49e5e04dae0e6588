//! nowsync's integration tests: one binary, one module per area. Every test starts its own
//! simulator on 127.0.0.1:0 and works in its own temp dir, so they run in parallel.

mod graph;
