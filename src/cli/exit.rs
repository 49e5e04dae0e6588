//! Exit codes by kind (DESIGN.md "CLI"): every error that ends a command maps to its code
//! through its type ([`ExitOf`]), never through its message.
//!
//! 0 success; 1 a cycle ran but some objects failed; 2 usage or configuration — also the
//! state database or data dir, a profile locked by a running engine, and a command that does
//! not apply to the state as it is (each says which in its message); 3 connection or
//! authentication failure — also any ServiceNow or Graph failure that stops a cycle, such as
//! a read the instance's transaction quota cancels even in small pages (the cycle stops before
//! any write; no object failed and nothing is misconfigured); 4 quarantined or stopped by the deletion threshold. Errors that fit
//! none of these (the engine task gone before a cycle ended, the runtime failing to start)
//! are reported as 2, the code that asks for a person rather than a retry.

use crate::config::{ConfigError, DirError};
use crate::secrets::SecretError;
use crate::store::StoreError;
use crate::sync::{ErrorKind, StartError};

/// Process exit codes. When several apply, the highest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Success = 0,
    /// A cycle ran but some objects failed.
    ObjectFailures = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Connection or authentication failure.
    Connection = 3,
    /// Quarantined, or stopped by the deletion threshold.
    Stopped = 4,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The exit code an error ends a command with.
pub trait ExitOf {
    fn exit(&self) -> Exit;
}

impl ExitOf for ErrorKind {
    fn exit(&self) -> Exit {
        match self {
            ErrorKind::Connection | ErrorKind::Permission => Exit::Connection,
            ErrorKind::Config | ErrorKind::Store | ErrorKind::Refused => Exit::Usage,
        }
    }
}

impl ExitOf for StartError {
    fn exit(&self) -> Exit {
        self.kind().exit()
    }
}

impl ExitOf for StoreError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl ExitOf for ConfigError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl ExitOf for DirError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// A secret that is missing, or a keyring that cannot be reached: the profile's setup.
impl ExitOf for SecretError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// A ServiceNow request outside a cycle (`sso check`): reaching or signing in is 3, the rest 2.
impl ExitOf for crate::servicenow::Error {
    fn exit(&self) -> Exit {
        if self.is_connection() {
            Exit::Connection
        } else {
            Exit::Usage
        }
    }
}

/// The runtime or a terminal failing: fits none of DESIGN.md's codes (see the module).
impl ExitOf for std::io::Error {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// The console: its configuration (2), the terminal or the demo's simulators (fit none: 2).
impl ExitOf for crate::tui::ConsoleError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl ExitOf for super::sim::SimError {
    fn exit(&self) -> Exit {
        self.exit_code()
    }
}

impl ExitOf for super::test_connection::NothingToTest {
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// Reports `err` (with its causes, sanitised) on stderr and returns its exit code.
pub fn fail<E: ExitOf + std::error::Error + 'static>(err: &E) -> Exit {
    super::report_error(err);
    err.exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code() {
        assert_eq!(ErrorKind::Connection.exit(), Exit::Connection);
        assert_eq!(ErrorKind::Config.exit(), Exit::Usage);
        assert_eq!(ErrorKind::Store.exit(), Exit::Usage);
        assert_eq!(ErrorKind::Refused.exit(), Exit::Usage);
        let locked = StartError::Store(StoreError::Locked {
            profile: "p".into(),
            owner: "pid=1".into(),
            path: "/d/p.lock".into(),
        });
        let unconfigured = StartError::NotConfigured("p".into());
        assert_eq!(locked.exit(), Exit::Usage);
        assert_eq!(unconfigured.exit(), Exit::Usage);
        assert!(
            locked.to_string().contains("already run by another nowsync"),
            "{locked}"
        );
        assert!(
            unconfigured.to_string().contains("add the missing section"),
            "{unconfigured}"
        );
        assert_eq!(
            [Exit::ObjectFailures, Exit::Stopped, Exit::Connection].iter().max(),
            Some(&Exit::Stopped)
        );
    }
}
