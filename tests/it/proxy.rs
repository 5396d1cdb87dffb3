//! The production recipe, run for real: `scripts/nginx-proxy.conf` in the real nginx, with TLS
//! from a certificate made for the test, in front of real irinfo processes, and curl as the
//! browser. It proves what the recipe promises: nginx serves the export's pages and static files
//! with irinfo's headers and HSTS once, passes everything else to irinfo, the rate limit believes
//! the forwarded address only when the proxy is trusted, and two instances behind one nginx each
//! deliver contact messages to a real SMTP server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::contact::smtp::Aiosmtpd;
use crate::support::*;

/// The name the recipe serves and the test certificate is for.
const HOST: &str = "irinfo.example.org";

/// `text` with `from` replaced by `to`, which must be there: a recipe that changed shape fails
/// here rather than testing something else.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "scripts/nginx-proxy.conf no longer has {from:?}"
    );
    text.replacen(from, to, 1)
}

/// A self-signed certificate for [`HOST`], made with openssl into `dir`: (certificate, key).
fn make_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    require_installed("/usr/bin/openssl", "openssl", "openssl");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "2", "-subj"])
        .arg(format!("/CN={HOST}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{HOST}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(made.success(), "openssl made no certificate");
    (cert, key)
}

/// The recipe's nginx, listening on loopback ports for plain http and for TLS.
struct Proxy {
    nginx: Nginx,
    http_port: u16,
    certificate: PathBuf,
}

/// Starts nginx with the shipped recipe, changed only where it says CHANGE: the ports, the
/// certificate, the export folder and the irinfo instances.
fn start_proxy(export: &Path, instances: &[u16]) -> Proxy {
    let recipe = std::fs::read_to_string(repo().join("scripts/nginx-proxy.conf")).unwrap();
    let headers = std::fs::read_to_string(repo().join("scripts/irinfo-headers.conf")).unwrap();
    let certificates = tempfile::tempdir().unwrap();
    let (certificate, key) = make_certificate(certificates.path());
    let (http_port, tls_port) = (free_port(), free_port());
    let upstream: String = instances
        .iter()
        .map(|port| format!("server 127.0.0.1:{port};\n    "))
        .collect();
    let mut config = replace_once(&recipe, "server 127.0.0.1:3000;\n    ", &upstream);
    for (from, to) in [
        ("listen 80;", format!("listen 127.0.0.1:{http_port};")),
        ("listen [::]:80;", String::new()),
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{tls_port} ssl http2;"),
        ),
        ("listen [::]:443 ssl http2;", String::new()),
        (
            "/etc/ssl/irinfo/fullchain.pem",
            certificate.display().to_string(),
        ),
        ("/etc/ssl/irinfo/privkey.pem", key.display().to_string()),
        ("/srv/irinfo/export", export.display().to_string()),
    ] {
        config = replace_once(&config, from, &to);
    }
    let nginx = Nginx::start("", &config, &[("irinfo-headers.conf", &headers)], tls_port);
    // The certificate is read by nginx at start; curl reads its copy beside nginx.conf.
    let kept = nginx.dir.path().join("cert.pem");
    std::fs::copy(&certificate, &kept).unwrap();
    Proxy {
        nginx,
        http_port,
        certificate: kept,
    }
}

/// What curl got back.
struct Answer {
    status: u16,
    /// The response's header lines, names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    /// Every value of the header `name`.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of `name`; a header sent twice or not at all fails the test.
    fn one(&self, name: &str) -> &str {
        let values = self.all(name);
        assert_eq!(values.len(), 1, "{name}: {values:?} in {:?}", self.headers);
        values[0]
    }
}

impl Proxy {
    /// One request through nginx over TLS, checking the certificate, from the loopback address
    /// `from` (so that tests can be several clients). `extra` is more curl arguments.
    fn fetch(&self, from: &str, path: &str, extra: &[&str]) -> Answer {
        curl(
            &[
                "--cacert",
                &self.certificate.display().to_string(),
                "--resolve",
                &format!("{HOST}:{}:127.0.0.1", self.nginx.port),
                "--interface",
                from,
            ],
            &format!("https://{HOST}:{}{path}", self.nginx.port),
            extra,
        )
    }
}

/// Runs curl for one address; the status, headers and body it got.
fn curl(options: &[&str], url: &str, extra: &[&str]) -> Answer {
    require_installed("/usr/bin/curl", "curl", "curl");
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head");
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30", "--http1.1"])
        .args(options)
        .arg("--dump-header")
        .arg(&head)
        .args(["--write-out", "%{http_code}", "--output"])
        .arg(dir.path().join("body"))
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    let status = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(
        output.status.success() || status != 0,
        "curl {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let headers = std::fs::read_to_string(&head)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let body = std::fs::read(dir.path().join("body")).unwrap_or_default();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// An irinfo process, killed when dropped.
struct Irinfo {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Irinfo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `irinfo serve` with `settings` (a site.toml without its [server] address, which this
/// adds) in `dir`, and waits until it answers.
fn start_irinfo(dir: &Path, settings: &str) -> Irinfo {
    std::fs::create_dir_all(dir).unwrap();
    let port = free_port();
    let path = dir.join("site.toml");
    std::fs::write(&path, settings).unwrap();
    let log = dir.join("irinfo.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(binary())
        .current_dir(repo())
        .arg("--config")
        .arg(&path)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(ADMIN_ON_ANY_PORT)
        .env("RUST_LOG", "irinfo=info")
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("start irinfo");
    let mut server = Irinfo { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "irinfo exited with {status}: {}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "irinfo did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Settings for a server behind the proxy, on `content`, with its spool in `dir`; `extra` is
/// appended (TOML tables).
fn settings(dir: &Path, content: &Path, contact: &str, extra: &str) -> String {
    format!(
        "[site]\nbase_url = \"https://{HOST}\"\n\n[paths]\ncontent = {content:?}\nstatic = {static_dir:?}\n\n\
         [contact]\n{contact}\n\n[mail]\nspool = {spool:?}\n{extra}\n",
        content = content.display().to_string(),
        static_dir = repo().join("static").display().to_string(),
        spool = dir.join("spool").display().to_string(),
    )
}

/// The hidden form token of a contact page.
fn form_token(page: &str) -> String {
    crate::contact::hidden_token(page)
}

/// Fetches the contact form and sends it through the proxy from `from`, each time with a new
/// form (a form sent twice is one message); the status of the POST.
fn submit(proxy: &Proxy, from: &str, extra_header: Option<&str>) -> u16 {
    let token = form_token(&proxy.fetch(from, "/contact", &[]).body);
    send_form(proxy, from, &token, extra_header)
}

/// Sends the contact form with `token` through the proxy from `from`; the status of the POST.
fn send_form(proxy: &Proxy, from: &str, token: &str, extra_header: Option<&str>) -> u16 {
    let body = crate::contact::encode(&crate::contact::valid_fields(token, &[]));
    let mut extra = vec!["--data-binary", body.as_str()];
    if let Some(header) = extra_header {
        extra.extend(["--header", header]);
    }
    proxy.fetch(from, "/contact", &extra).status
}

#[test]
fn nginx_serves_the_export_itself_and_passes_the_rest_to_irinfo() {
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("export");
    let (site, _) = irinfo::build_site(&shipped_config()).expect("the shipped site builds");
    irinfo::export::export(&site, &export).expect("export");
    drop(site);
    let irinfo = start_irinfo(
        &work.path().join("irinfo"),
        &settings(
            &work.path().join("irinfo"),
            &repo().join("content"),
            "trusted_proxies = [\"127.0.0.1\"]",
            "",
        ),
    );
    let proxy = start_proxy(&export, &[irinfo.port]);

    // A sheet, from the export: irinfo's own headers, each once, and HSTS from nginx.
    let sheet = proxy.fetch("127.0.0.1", "/procedures/angioplasty", &["--compressed"]);
    assert_eq!(sheet.status, 200);
    assert!(sheet.body.contains("<h1"), "{}", sheet.body);
    assert_eq!(sheet.one("strict-transport-security"), "max-age=31536000");
    assert!(
        sheet
            .one("cache-control")
            .starts_with("public, max-age=300")
    );
    let direct = curl(
        &[],
        &format!("http://127.0.0.1:{}/procedures/angioplasty", irinfo.port),
        &[],
    );
    assert_eq!(direct.status, 200);
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "permissions-policy",
        "cross-origin-opener-policy",
    ] {
        assert_eq!(sheet.one(name), direct.one(name), "{name}");
    }
    assert_eq!(
        sheet.one("content-security-policy"),
        irinfo::web::CONTENT_SECURITY_POLICY
    );
    // irinfo sends HSTS itself, as its base_url is https; nginx sends it once either way.
    assert_eq!(direct.all("strict-transport-security").len(), 1);

    // A fingerprinted stylesheet, from the export, kept for a year.
    let stylesheet = crate::support::between(&sheet.body, "<link rel=\"stylesheet\" href=\"", "\"")
        .expect("a stylesheet link")
        .to_string();
    let css = proxy.fetch("127.0.0.1", &stylesheet, &[]);
    assert_eq!(css.status, 200, "{stylesheet}");
    assert!(css.one("content-type").starts_with("text/css"));
    assert_eq!(
        css.one("cache-control"),
        "public, max-age=31536000, immutable"
    );

    // What only irinfo can answer goes to it, with its headers once and HSTS once.
    let search = proxy.fetch("127.0.0.1", "/search?q=stent", &[]);
    assert_eq!(search.status, 200);
    assert!(search.body.contains("/procedures/"), "search results");
    assert_eq!(search.one("strict-transport-security"), "max-age=31536000");
    assert_eq!(
        search.one("content-security-policy"),
        irinfo::web::CONTENT_SECURITY_POLICY
    );
    let contact = proxy.fetch("127.0.0.1", "/contact", &[]);
    assert_eq!(contact.status, 200);
    assert!(!form_token(&contact.body).is_empty());
    let missing = proxy.fetch("127.0.0.1", "/procedures/no-such-sheet", &[]);
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<main"), "the site's own 404 page");
    let api = proxy.fetch("127.0.0.1", "/api/v1/procedures?page=1", &[]);
    assert_eq!(api.status, 200);
    assert!(api.one("content-type").starts_with("application/json"));

    // Plain http is sent to https.
    let plain = curl(
        &[
            "--resolve",
            &format!("{HOST}:{}:127.0.0.1", proxy.http_port),
        ],
        &format!("http://{HOST}:{}/procedures/angioplasty", proxy.http_port),
        &[],
    );
    assert_eq!(plain.status, 301);
    assert_eq!(
        plain.one("location"),
        format!("https://{HOST}/procedures/angioplasty")
    );

    // Without irinfo, the pages still come from the export; searches need the server.
    drop(irinfo);
    assert_eq!(
        proxy
            .fetch("127.0.0.1", "/procedures/angioplasty", &[])
            .status,
        200
    );
    assert_eq!(proxy.fetch("127.0.0.1", "/", &[]).status, 200);
    assert_eq!(proxy.fetch("127.0.0.1", "/search?q=stent", &[]).status, 502);
}

/// A folder to work in, with an empty export in it (so that nginx sends every request on), and
/// the minimal content for the instances to serve.
fn work_with_empty_export() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let empty_export = work.path().join("export");
    std::fs::create_dir_all(&empty_export).unwrap();
    (work, empty_export, repo().join("tests/fixtures/minimal"))
}

#[test]
fn the_rate_limit_believes_the_forwarded_address_only_from_a_trusted_proxy() {
    let (work, empty_export, content) = work_with_empty_export();
    // Two submissions at once, then one an hour.
    let limits = "burst = 2\nrate_per_hour = 1";

    let dir = work.path().join("trusting");
    let trusting = start_irinfo(
        &dir,
        &settings(
            &dir,
            &content,
            &format!("{limits}\ntrusted_proxies = [\"127.0.0.1\"]"),
            "",
        ),
    );
    let proxy = start_proxy(&empty_export, &[trusting.port]);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 303);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 303);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 429);
    // Claiming another address does not escape the limit: nginx adds the real one last.
    assert_eq!(
        submit(&proxy, "127.0.0.2", Some("X-Forwarded-For: 192.0.2.7")),
        429
    );
    // Another client behind the same proxy has its own allowance.
    assert_eq!(submit(&proxy, "127.0.0.3", None), 303);
    drop(proxy);
    drop(trusting);

    // Without the proxy in trusted_proxies, every client behind it is the proxy.
    let dir = work.path().join("not-trusting");
    let not_trusting = start_irinfo(&dir, &settings(&dir, &content, limits, ""));
    let proxy = start_proxy(&empty_export, &[not_trusting.port]);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 303);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 303);
    assert_eq!(submit(&proxy, "127.0.0.2", None), 429);
    assert_eq!(submit(&proxy, "127.0.0.3", None), 429);
}

#[test]
fn two_instances_behind_one_nginx_each_deliver_contact_messages() {
    let (work, empty_export, content) = work_with_empty_export();
    let maildir = work.path().join("maildir");
    let smtp = Aiosmtpd::start(free_port(), &maildir);
    // The same form key, so that a form one instance shows can be sent to the other.
    let contact = format!(
        "burst = 100\nrate_per_hour = 100\ntrusted_proxies = [\"127.0.0.1\"]\nform_key = \"{}\"",
        "5a".repeat(32)
    );
    let relay = format!(
        "relay_host = \"127.0.0.1\"\nrelay_port = {}\nrelay_tls = \"none\"\nsend_timeout_secs = 10",
        smtp.port
    );
    let instances: Vec<Irinfo> = ["first", "second"]
        .into_iter()
        .map(|name| {
            let dir = work.path().join(name);
            start_irinfo(&dir, &settings(&dir, &content, &contact, &relay))
        })
        .collect();
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let proxy = start_proxy(&empty_export, &ports);

    // nginx takes turns: two forms, then two submissions, twice over, so that each instance
    // is sent some of the submissions whichever instance showed the form.
    let mut accepted = 0;
    for _ in 0..2 {
        let tokens: Vec<String> = (0..2)
            .map(|_| form_token(&proxy.fetch("127.0.0.1", "/contact", &[]).body))
            .collect();
        for token in &tokens {
            assert_eq!(send_form(&proxy, "127.0.0.1", token, None), 303);
            accepted += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.messages().len() < accepted {
        assert!(
            Instant::now() < deadline,
            "{} of {accepted} messages reached the SMTP server",
            smtp.messages().len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(smtp.messages().len(), accepted);
    for (name, instance) in ["first", "second"].iter().zip(&instances) {
        let sent = crate::contact::files_in(&work.path().join(name).join("spool"), "sent");
        assert!(
            !sent.is_empty(),
            "the {name} instance delivered nothing: {}",
            std::fs::read_to_string(&instance.log).unwrap_or_default()
        );
    }
}
