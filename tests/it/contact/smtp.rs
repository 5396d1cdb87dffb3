//! Real SMTP peers on 127.0.0.1: Debian's aiosmtpd as a full server, and a small scripted peer
//! that speaks SMTP over a socket but answers the end of DATA as a test tells it to (4xx, 5xx,
//! or hanging up after the final dot), which no ready-made server can be made to do on cue.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The Python that has Debian's aiosmtpd (the pyenv python3 earlier on PATH does not).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// aiosmtpd with its Mailbox handler: every message it accepts lands in a Maildir.
pub struct Aiosmtpd {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Aiosmtpd {
    /// Starts aiosmtpd on `port` and waits until it answers.
    pub fn start(port: u16, maildir: &Path) -> Self {
        crate::support::require_installed(
            "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py",
            "the SMTP server aiosmtpd",
            "python3 python3-aiosmtpd",
        );
        let child = Command::new(SYSTEM_PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {SYSTEM_PYTHON} -m aiosmtpd ({e}); scripts/test installs python3-aiosmtpd")
            });
        let mut server = Self {
            child,
            port,
            maildir: maildir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Read;
                let mut greeting = [0u8; 3];
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                if stream.read_exact(&mut greeting).is_ok() && &greeting == b"220" {
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = server.child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("aiosmtpd exited with {status}: {stderr} (is python3-aiosmtpd installed?)");
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every message received so far, as text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut messages: Vec<String> = entries
            .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("a message"))
            .collect();
        messages.sort();
        messages
    }

    /// Waits until `count` messages have arrived.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() >= deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the scripted peer answers the end of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `250 OK`: accepted.
    Accept,
    /// `451`: try again later.
    Defer,
    /// `550`: refused for good.
    Reject,
    /// Closes the connection after the final dot without answering.
    HangUp,
    /// Never answers the final dot, as a relay that has hung.
    Stall,
}

/// What the scripted peer has seen.
#[derive(Debug, Default)]
pub struct PeerLog {
    pub connections: usize,
    /// The DATA of every message, whatever the answer was.
    pub messages: Vec<String>,
    /// The RCPT TO lines.
    pub recipients: Vec<String>,
}

/// A small SMTP server in the test's runtime: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
pub struct ScriptedPeer {
    pub port: u16,
    pub log: Arc<Mutex<PeerLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedPeer {
    /// Answers the end of each message with the next reply; once the script is used up, accepts.
    pub async fn start(script: &[Reply]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let log = Arc::new(Mutex::new(PeerLog::default()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                task_log.lock().unwrap().connections += 1;
                let log = task_log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, log, script).await;
                });
            }
        });
        Self { port, log, task }
    }

    pub fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }

    pub fn messages(&self) -> Vec<String> {
        self.log.lock().unwrap().messages.clone()
    }
}

impl Drop for ScriptedPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads the client's next line into `line`, emptied first; false once the client has hung up.
async fn next_line(
    lines: &mut (impl tokio::io::AsyncBufRead + Unpin),
    line: &mut String,
) -> std::io::Result<bool> {
    line.clear();
    Ok(lines.read_line(line).await? > 0)
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    log: Arc<Mutex<PeerLog>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 scripted.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        if !next_line(&mut lines, &mut line).await? {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            write
                .write_all(b"250-scripted.test\r\n250 8BITMIME\r\n")
                .await?;
        } else if command.starts_with("HELO") {
            write.write_all(b"250 scripted.test\r\n").await?;
        } else if command.starts_with("RCPT") {
            log.lock()
                .unwrap()
                .recipients
                .push(line.trim_end().to_string());
            write.write_all(b"250 2.1.5 OK\r\n").await?;
        } else if command.starts_with("MAIL") || command == "RSET" || command == "NOOP" {
            write.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if command == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                if !next_line(&mut lines, &mut line).await? {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            log.lock().unwrap().messages.push(data);
            let reply = script.lock().unwrap().pop_front().unwrap_or(Reply::Accept);
            match reply {
                Reply::Accept => write.write_all(b"250 2.0.0 queued as 1\r\n").await?,
                Reply::Defer => {
                    write
                        .write_all(b"451 4.3.0 mailbox busy, try later\r\n")
                        .await?
                }
                Reply::Reject => write.write_all(b"550 5.7.1 message refused\r\n").await?,
                Reply::HangUp => return Ok(()),
                Reply::Stall => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return Ok(());
                }
            }
        } else if command == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 5.5.2 not implemented\r\n").await?;
        }
    }
}
