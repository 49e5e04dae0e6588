//! The functions of the expression language, grouped by what they work on. Each group
//! has a table-driven test built from the examples of Entra's reference (spec §3.2), with
//! the documentation errors of spec §3.4 corrected and marked.

pub(crate) mod collections;
pub(crate) mod dates;
pub(crate) mod diacritics;
pub(crate) mod logic;
mod nulls;
pub(crate) mod random;
pub(crate) mod replace;
pub(crate) mod strings;

#[cfg(test)]
pub(crate) mod testutil;
