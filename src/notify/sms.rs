//! Text messages (activation codes for accounts a volunteer opened for a neighbour). They leave through
//! the outbox like mail; an [`SmsSender`] hands each to a gateway. Only development senders exist so far:
//! a JSON-lines file in the data dir and the log. A provider's API (a "brandname" SMS gateway) is one more
//! implementation.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::config::{Settings, SmsTransport};

pub trait SmsSender: Send + Sync {
    /// Blocking: called from the blocking pool.
    fn send(&self, phone: &str, text: &str) -> Result<(), String>;
}

/// Appends `{"to": …, "text": …}` lines to `sms.jsonl` in the data dir.
pub struct FileSms {
    path: PathBuf,
    lock: Mutex<()>,
}

impl SmsSender for FileSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        let _one_writer = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let line = serde_json::json!({"to": phone, "text": text}).to_string();
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| writeln!(file, "{line}"))
            .map_err(|err| format!("{}: {err}", self.path.display()))
    }
}

/// Writes each message to the log (for a first look; the text is in the log).
pub struct LogSms;

impl SmsSender for LogSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        tracing::info!(to = phone, text, "sms");
        Ok(())
    }
}

pub fn sender(settings: &Settings) -> Result<Box<dyn SmsSender>, String> {
    Ok(match settings.sms {
        SmsTransport::Log => Box::new(LogSms),
        SmsTransport::File => {
            std::fs::create_dir_all(&settings.data_dir)
                .map_err(|err| format!("CDS_DATA_DIR: cannot create {}: {err}", settings.data_dir.display()))?;
            Box::new(FileSms { path: settings.data_dir.join("sms.jsonl"), lock: Mutex::new(()) })
        }
    })
}
