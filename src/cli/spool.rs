//! `sync --once --json`'s results, spooled to an unnamed file in the data dir as they arrive
//! (issue 16 §3: a cycle of 600,000 results held to the end took 1.9 GB), and the one JSON
//! document written from it once the cycle is over. Nothing reaches stdout before then, so a
//! cycle that ends in an error prints no half document.

use std::io::{BufWriter, Read, Seek, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::text_json::to_safe_json;

/// The results so far, as safe JSON (`model::text_json`) separated by commas.
pub(super) struct Spool {
    file: BufWriter<std::fs::File>,
    count: u64,
    /// The first error writing the file: reported instead of the document.
    failed: Option<std::io::Error>,
}

impl Spool {
    /// A spool in `dir` (the data dir: on disk, not in a tmpfs).
    pub(super) fn new(dir: &std::path::Path) -> std::io::Result<Spool> {
        Ok(Spool {
            file: BufWriter::new(tempfile::tempfile_in(dir)?),
            count: 0,
            failed: None,
        })
    }

    pub(super) fn push(&mut self, result: &impl Serialize) {
        if self.failed.is_some() {
            return;
        }
        let written = to_safe_json(result).map_err(std::io::Error::other).and_then(|text| {
            if self.count > 0 {
                self.file.write_all(b",")?;
            }
            self.file.write_all(text.as_bytes())
        });
        match written {
            Ok(()) => self.count += 1,
            Err(e) => self.failed = Some(e),
        }
    }

    /// Writes `{…head, "results": [the spooled results], "stats": stats}` to `out`: the keys
    /// in the order serde_json's map gives them (sorted), "results" and "stats" being the last.
    pub(super) fn finish(
        mut self,
        head: Map<String, Value>,
        stats: &Value,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        debug_assert!(head.keys().all(|k| k.as_str() < "results"));
        let head = to_safe_json(&head).map_err(std::io::Error::other)?;
        let stats = to_safe_json(stats).map_err(std::io::Error::other)?;
        let mut file = self.file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.rewind()?;
        // `head` is `{…}`: its members, then ours.
        let members = head.strip_suffix('}').unwrap_or(&head);
        let sep = if members.len() > 1 { "," } else { "" };
        write!(out, "{members}{sep}\"results\":[")?;
        let mut buf = vec![0; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
        }
        writeln!(out, "],\"stats\":{stats}}}")?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The spooled document is byte for byte the one `json!` of the whole list gave.
    #[test]
    fn the_document_is_the_one_a_held_list_gave() {
        let dir = tempfile::tempdir().unwrap();
        let results = [
            json!({"source_name": "a\u{1b}[31m", "status": "success"}),
            json!({"n": 2}),
        ];
        for list in [&results[..], &[]] {
            let mut spool = Spool::new(dir.path()).unwrap();
            for r in list {
                spool.push(r);
            }
            let head = json!({"counts": {"create": 1}, "cycle_id": 7, "dry_run": false, "full_cycle_reason": null, "kind": "initial", "plan": null});
            let stats = json!({"writes": 3});
            let mut out = Vec::new();
            spool
                .finish(head.as_object().unwrap().clone(), &stats, &mut out)
                .unwrap();
            let mut whole = head;
            whole["results"] = json!(list);
            whole["stats"] = stats;
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{}\n", to_safe_json(&whole).unwrap())
            );
        }
    }
}
