//! A real SMTP server for tests: speaks just enough SMTP for lettre, and hands each message to the test.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Mutex};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: String,
    /// The decoded text body.
    pub body: String,
}

impl ReceivedMail {
    /// The `token=` parameter of the first link in the body.
    pub fn token(&self) -> String {
        let start = self.body.find("token=").expect("a link with a token") + "token=".len();
        self.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    }
}

pub struct SmtpSink {
    pub port: u16,
    received: Mutex<mpsc::UnboundedReceiver<ReceivedMail>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_at("127.0.0.1:0").await
    }

    pub async fn start_at(address: &str) -> SmtpSink {
        let listener = TcpListener::bind(address).await.expect("bind SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut to = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let command = line.to_ascii_uppercase();
                        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                            b"250 sink\r\n"
                        } else if command.starts_with("RCPT TO:") {
                            to = line[8..].trim().trim_matches(['<', '>']).to_string();
                            b"250 OK\r\n"
                        } else if command.starts_with("DATA") {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut data = Vec::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push(line.strip_prefix('.').map_or(line.clone(), str::to_string));
                            }
                            let _ = sender.send(ReceivedMail { to: to.clone(), body: decode(&data) });
                            b"250 queued\r\n"
                        } else if command.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink { port, received: Mutex::new(received) }
    }

    /// The next message, waiting up to `within` for the app's outbox worker to deliver it.
    pub async fn next_mail_within(&self, within: Duration) -> ReceivedMail {
        let mut received = self.received.lock().await;
        tokio::time::timeout(within, received.recv()).await.expect("a mail within the time").expect("sink open")
    }

    pub async fn next_mail(&self) -> ReceivedMail {
        self.next_mail_within(Duration::from_secs(15)).await
    }

    /// True when no message is waiting now (the worker runs on its own; this does not wait).
    pub async fn is_empty(&self) -> bool {
        self.received.lock().await.is_empty()
    }
}

/// Decodes the body of a single-part message (base64 or quoted-printable, as lettre chooses).
fn decode(lines: &[String]) -> String {
    let split = lines.iter().position(String::is_empty).unwrap_or(lines.len());
    let headers = lines[..split].join("\n").to_ascii_lowercase();
    let body = &lines[(split + 1).min(lines.len())..];
    if headers.contains("content-transfer-encoding: base64") {
        let joined: String = body.concat();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined.trim()).unwrap_or_default())
            .unwrap_or_default()
    } else if headers.contains("content-transfer-encoding: quoted-printable") {
        let mut bytes = Vec::new();
        for line in body {
            let (line, soft_break) = match line.strip_suffix('=') {
                Some(rest) => (rest, true),
                None => (line.as_str(), false),
            };
            let raw = line.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'=' && i + 3 <= raw.len() {
                    if let Ok(byte) = u8::from_str_radix(&line[i + 1..i + 3], 16) {
                        bytes.push(byte);
                        i += 3;
                        continue;
                    }
                }
                bytes.push(raw[i]);
                i += 1;
            }
            if !soft_break {
                bytes.push(b'\n');
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        body.join("\n")
    }
}
