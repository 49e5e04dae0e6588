//! The engine's door on a Unix domain socket (issue 15): a running engine (`nowsync run`, or
//! a console's own engine) serves the same commands and events as [`crate::sync::Handle`] to
//! clients of the same user on `DATA_DIR/<profile>.sock` (0600, in the 0700 data dir; the
//! peer's uid checked with `SO_PEERCRED`), so a console can attach to it, leave, and attach
//! again while it keeps running.
//!
//! The protocol ([`proto`]): length-delimited frames (a 4-byte big-endian length, tokio-util's
//! `LengthDelimitedCodec`) of one JSON object each, tagged by `type`. The client says
//! [`proto::ClientFrame::Hello`] with [`proto::VERSION`]; the engine answers
//! [`proto::ServerFrame::Welcome`] (who it is: pid, since, started by), then the log
//! backlog ([`backlog`], the last [`backlog::LINES`] lines), the [`replay`] (the running cycle, the
//! last plan and where it stands, the next scheduled cycle) and from then on every event.
//! Commands travel as `sync::Command` itself (a `reload` frame stands for `Command::Reload`,
//! whose resolved profile does not travel: the serving side re-reads the file) and are
//! acknowledged; anything unknown gets an error frame and the connection stays usable.
//! Commands of every client go through the engine's one command channel, so they run one
//! after the other; each client's actions are logged for all to see.

pub mod backlog;
pub mod client;
pub mod proto;
pub mod replay;
pub mod server;
mod session;

use std::path::{Path, PathBuf};

pub use client::{Attached, Client, ClientError};
pub use server::{Door, DoorError, PeerRefused, Reload};
pub use session::ReloadError;

/// The socket of `profile`'s engine in `data_dir`.
pub fn socket_path(data_dir: &Path, profile: &str) -> PathBuf {
    data_dir.join(format!("{profile}.sock"))
}

/// Whether an answer's request id is one the socket gave a client's question: the engine's
/// own console sees every answer, and one under such an id is another console's.
pub fn asked_through_socket(request: u64) -> bool {
    request >= server::FIRST_REQUEST
}

/// Who started the engine, for the console's header ("started by systemd").
pub fn started_by(console: bool) -> &'static str {
    if console {
        "console"
    } else if std::env::var_os("INVOCATION_ID").is_some() {
        // systemd sets INVOCATION_ID for every unit it runs (systemd.exec(5)).
        "systemd"
    } else {
        "nowsync run"
    }
}
