//! Whole-file outputs replaced atomically.
//!
//! Invariant: a file spikemem writes whole (a model, a JSON report, stats, a results
//! table, a command trace) is either absent, its previous complete content, or its new
//! complete content, whatever happens during the write (`kill -9`, a full disk, an I/O
//! error). The content goes to a temporary file in the same directory (so the rename
//! stays on one file system), is synced to disk, and is renamed over the destination;
//! the directory is synced after the rename so the new name survives a crash too. A
//! failed or abandoned write removes its temporary file and leaves the destination as
//! it was.
//!
//! Temporary names are `.<name>.<pid>.<n>.tmp`: hidden, and unique per process and per
//! write, so concurrent writers (sweep shards) never share one.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file that becomes `dest` on [`commit`](Self::commit), and is removed if
/// dropped uncommitted. Use it directly when a library writes the file by path (HDF5);
/// otherwise [`write_atomic`] / [`write_atomic_with`] are shorter.
#[derive(Debug)]
pub struct PendingFile {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl PendingFile {
    pub fn new(dest: &Path) -> Self {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp_name = format!(".{name}.{}.{n}.tmp", std::process::id());
        let tmp = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.join(tmp_name),
            _ => PathBuf::from(tmp_name),
        };
        PendingFile {
            tmp,
            dest: dest.to_owned(),
            done: false,
        }
    }

    /// Where to write the content.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Sync the temporary file, rename it over the destination, sync the directory.
    pub fn commit(mut self) -> io::Result<()> {
        File::open(&self.tmp)?.sync_all()?;
        fs::rename(&self.tmp, &self.dest)?;
        self.done = true;
        sync_dir(&self.dest);
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Make a rename durable: sync the directory holding `path` (best effort: some file
/// systems refuse to open a directory for syncing, and the rename itself is atomic).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replace `path` with `bytes` atomically.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes.as_ref()))
}

/// Replace `path` atomically with what `fill` writes (buffered).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let pending = PendingFile::new(path);
    let mut w = BufWriter::new(File::create(pending.tmp_path())?);
    fill(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    pending.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"old").unwrap();
        write_atomic(&p, b"new content").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new content");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.h5");
        write_atomic(&p, b"good").unwrap();
        let r = write_atomic_with(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"good");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_abandoned_pending_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.h5");
        let pending = PendingFile::new(&p);
        fs::write(pending.tmp_path(), b"partial").unwrap();
        drop(pending);
        assert!(!p.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
