//! Graph simulator.
