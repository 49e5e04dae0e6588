//! Scoping filters (placeholder).
