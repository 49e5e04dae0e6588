//! Domain types shared by every module. No I/O, no dependencies on other modules.
//!
//! Terms: a *sys_id* is ServiceNow's record id, 32 lowercase hex characters; a *step* is one
//! check of a connection test.

pub mod check;
mod cycle;
mod hash;
mod object_type;
mod sys_id;
pub mod text;
pub mod text_json;
pub mod words;

pub use cycle::{CycleKind, UnknownCycleKind};
pub use hash::stable_hash;
pub use object_type::{ObjectType, UnknownObjectType};
pub use sys_id::{SysId, SysIdError};
