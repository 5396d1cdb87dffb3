//! A full disk and a read-only database give the site's 503 page, never a thank-you, and the
//! form works again once there is room. The database is on a small tmpfs mounted for the test
//! (root only, as scripts/test runs).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::form::post_to;
use crate::contact::router_from;
use crate::support::*;

/// A tmpfs mounted at a temporary folder; unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "cannot mount a tmpfs (the test needs root, as scripts/test runs it)"
        );
        Self { path, _dir: dir }
    }

    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Fills the file system at `dir` to the last byte.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    while file.write_all(&[0]).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_or_read_only_disk_gives_503_never_thanks() {
    let disk = Tmpfs::mount("2m");
    let mut config = fixture_config("minimal");
    config.server.request_timeout_secs = 60;
    config.feedback.database = disk.path.join("feedback.sqlite3");
    let state = state_for(config);
    let router = router_from(&state, "192.0.2.50:4000");
    let yes = [("page", "/procedures/balloon"), ("answer", "yes")];
    assert_eq!(post_to(&router, "/feedback", &yes, &[]).await.status, 303);

    let filler = fill(&disk.path);
    for _ in 0..3 {
        let full = post_to(&router, "/feedback", &yes, &[]).await;
        assert_eq!(full.status, 503, "a full disk: {}", full.body);
        assert!(
            full.body
                .contains("Sorry, we cannot save answers right now")
        );
        assert!(!full.body.contains("Thank you"));
        assert_eq!(full.header("retry-after"), "300");
    }
    std::fs::remove_file(filler).unwrap();
    assert_eq!(post_to(&router, "/feedback", &yes, &[]).await.status, 303);

    // Exactly the acknowledged answers are stored.
    let app = state.0.clone();
    let stored = tokio::task::spawn_blocking(move || {
        app.feedback
            .store()
            .unwrap()
            .counts(0, i64::MAX, None)
            .unwrap()[0]
            .yes
    })
    .await
    .unwrap();
    assert_eq!(stored, 2);

    // A read-only database: the server (a new one, since a file system with files open for
    // writing cannot be made read-only) cannot write, and says so.
    let config = state.0.config.clone();
    drop((router, state));
    disk.remount("ro");
    let state = state_for(config);
    let router = router_from(&state, "192.0.2.51:4000");
    let read_only = post_to(&router, "/feedback", &yes, &[]).await;
    drop((router, state));
    disk.remount("rw");
    assert_eq!(read_only.status, 503, "read-only: {}", read_only.body);
    assert!(
        read_only
            .body
            .contains("Sorry, we cannot save answers right now")
    );
}
