//! Deployment: the `base_url` guard with the real binary, and the shipped systemd unit and
//! container file checked as far as this machine allows (systemd-analyze runs; a container
//! image cannot be built here, with no registry of base images to pull from, so its file is
//! checked for the promises it makes).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

#[test]
fn a_public_address_with_a_loopback_base_url_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let settings = shipped_settings_with_spool_in(dir.path());
    let refused = Command::new(binary())
        .current_dir(repo())
        .arg("--config")
        .arg(&settings)
        .args(["serve", "--addr", "0.0.0.0:0"])
        .args(ADMIN_ON_ANY_PORT)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    for part in [
        "refusing to start",
        "0.0.0.0:0",
        "site.base_url is http://127.0.0.1:3000",
        "--allow-loopback-base-url",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A base URL that is not an address is refused too, naming the setting.
    let bad = Command::new(binary())
        .current_dir(repo())
        .arg("--config")
        .arg(&settings)
        .args([
            "serve",
            "--admin-addr",
            "127.0.0.1:0",
            "--addr",
            "0.0.0.0:0",
            "--base-url",
            "irinfo.example.org",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("site.base_url must start with"));
}

/// Starts `irinfo serve` with `args` and the shipped settings, and returns the child and the
/// port of the "serving on" line (the address may be 0.0.0.0).
fn serve_on_any_address(settings: &Path, args: &[&str]) -> (std::process::Child, u16) {
    let mut child = Command::new(binary())
        .current_dir(repo())
        .arg("--config")
        .arg(settings)
        .arg("serve")
        .args(ADMIN_ON_ANY_PORT)
        .args(args)
        .env("RUST_LOG", "irinfo=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let outputs: [Box<dyn Read + Send>; 2] = [
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for output in outputs {
        let port_tx = port_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if let Some(address) = line.split("serving on http://").nth(1) {
                    let port = address.trim().rsplit(':').next().and_then(|p| {
                        p.trim_end_matches(|c: char| !c.is_ascii_digit())
                            .parse()
                            .ok()
                    });
                    let _ = port_tx.send(port);
                }
            }
        });
    }
    let port = port_rx
        .recv_timeout(Duration::from_secs(60))
        .ok()
        .flatten()
        .expect("the server says where it serves");
    (child, port)
}

#[test]
fn the_override_or_a_public_base_url_lets_it_serve_on_every_address() {
    let dir = tempfile::tempdir().unwrap();
    let settings = shipped_settings_with_spool_in(dir.path());
    for args in [
        &["--addr", "0.0.0.0:0", "--allow-loopback-base-url"][..],
        &[
            "--addr",
            "0.0.0.0:0",
            "--base-url",
            "https://irinfo.example.org",
        ][..],
    ] {
        let (mut child, port) = serve_on_any_address(&settings, args);
        let page = http_get_text(port, "/procedures/angioplasty");
        let _ = child.kill();
        let _ = child.wait();
        assert!(page.starts_with("HTTP/1.1 200"), "{args:?}: {page}");
        if args.contains(&"--base-url") {
            assert!(
                page.contains("<link rel=\"canonical\" href=\"https://irinfo.example.org/procedures/angioplasty\""),
                "the public address is the canonical one"
            );
        }
    }
}

/// A GET over a real socket to 127.0.0.1, the whole answer as text.
fn http_get_text(port: u16, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    String::from_utf8(http_exchange(("127.0.0.1", port), &request)).unwrap()
}

/// The shipped unit with its program at the built binary, in a folder of its own.
fn unit_for_this_build() -> (tempfile::TempDir, std::path::PathBuf) {
    let unit = std::fs::read_to_string(repo().join("scripts/irinfo.service")).unwrap();
    let exec = "ExecStart=/opt/irinfo/irinfo ";
    assert!(unit.contains(exec), "the unit runs /opt/irinfo/irinfo");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("irinfo.service");
    let here = format!("ExecStart={} ", binary().display());
    std::fs::write(&path, unit.replacen(exec, &here, 1)).unwrap();
    (dir, path)
}

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    require_installed("/usr/bin/systemd-analyze", "systemd-analyze", "systemd");
    let (_dir, unit) = unit_for_this_build();
    let verified = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let complaints = String::from_utf8_lossy(&verified.stderr);
    // verify exits 0 for an unknown or misspelt setting, which it only reports: any report fails.
    assert!(
        verified.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify: {complaints}"
    );
    // The exposure score systemd computes from the sandboxing settings, 0 (best) to 10: at most
    // 2 ("OK"). The threshold is in tenths.
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        security.status.success(),
        "{}",
        String::from_utf8_lossy(&security.stdout)
    );
    let text = std::fs::read_to_string(&unit).unwrap();
    let writable: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ReadWritePaths="))
        .collect();
    assert_eq!(
        writable,
        ["ReadWritePaths=/var/lib/irinfo/spool /var/lib/irinfo/feedback"]
    );
    for line in [
        "ProtectSystem=strict",
        "NoNewPrivileges=true",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillSignal=SIGTERM",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}");
    }
}

#[test]
fn the_container_file_builds_in_stages_and_runs_without_privileges() {
    let text = std::fs::read_to_string(repo().join("scripts/Containerfile")).unwrap();
    let instructions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let stages: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("FROM "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(stages.len(), 2, "a build stage and a run stage");
    assert!(instructions[stages[0]].ends_with(" AS build"));
    let (build, run) = instructions.split_at(stages[1]);

    // The build stage's Rust is at least the crate's rust-version, and builds what is locked.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let wanted = between(&manifest, "rust-version = \"", "\"").unwrap();
    let image = between(instructions[stages[0]], "rust:", "-").unwrap();
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    assert!(version(image) >= version(wanted), "rust:{image} < {wanted}");
    assert!(
        build
            .iter()
            .any(|l| l.contains("cargo build --release --locked"))
    );
    // Everything it copies from the repository exists.
    for line in build.iter().filter(|l| l.starts_with("COPY ")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for source in &parts[1..parts.len() - 1] {
            assert!(repo().join(source).exists(), "{line}: {source}");
        }
    }
    // The run stage: a numeric user that is not root, the spool a volume, the exec form.
    let user = run
        .iter()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER in the run stage");
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric uid");
    assert_ne!(uid, 0);
    assert!(
        run.iter()
            .any(|l| l.starts_with("VOLUME") && l.contains("var/spool"))
    );
    let entrypoint = run
        .iter()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .expect("ENTRYPOINT");
    let entrypoint: Vec<String> = serde_json::from_str(entrypoint).expect("exec form");
    assert_eq!(entrypoint, ["/usr/local/bin/irinfo"]);
    // The run stage takes what the server reads at run time, and nothing from outside the build.
    for needed in ["content", "static", "site.toml", "/usr/local/bin/irinfo"] {
        assert!(
            run.iter()
                .any(|l| l.starts_with("COPY --from=build ") && l.contains(needed)),
            "{needed}"
        );
    }
}
