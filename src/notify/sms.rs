//! Text messages (activation codes for accounts a volunteer opened for a neighbour). They leave through
//! the outbox like mail; an [`SmsSender`] hands each to a gateway: eSMS.vn's HTTP API (`esms`), a
//! carrier's SMSC over SMPP (`smpp`), or, in development, a JSON-lines file in the data dir or the log.
//! `limits` keeps the day's texts within budget; `text` takes diacritics off for plain-text templates.

mod esms;
pub mod limits;
mod smpp;
pub mod text;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use futures_util::future::BoxFuture;

use super::Undelivered;
use crate::config::{Settings, SmsTransport};
use crate::values::PhoneNumber;

pub trait SmsSender: Send + Sync {
    /// Sends `text` to `phone` (E.164). `request_id` is the same on every try of one message, so a
    /// gateway that knows it has sent it does not send it twice.
    fn send<'a>(&'a self, phone: &'a str, text: &'a str, request_id: &'a str)
        -> BoxFuture<'a, Result<(), Undelivered>>;
}

/// The number and the text as a gateway sends them, or why this message can never go (`gateway` names
/// the sender in the reason).
fn addressed(phone: &str, text: &str, unicode: bool, gateway: &str) -> Result<(PhoneNumber, text::OnAir), Undelivered> {
    let phone = PhoneNumber::parse(phone, "phone")
        .map_err(|_| Undelivered::Refused(format!("{gateway}: not a Vietnamese mobile number")))?;
    let on_air = text::on_air(text, unicode).map_err(|why| Undelivered::Refused(format!("{gateway}: {why}")))?;
    Ok((phone, on_air))
}

/// Appends `{"to": …, "text": …}` lines to `sms.jsonl` in the data dir.
pub struct FileSms {
    path: PathBuf,
    lock: Mutex<()>,
}

impl SmsSender for FileSms {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), Undelivered>> {
        // A line appended to a local file: quick enough not to leave the worker's task.
        Box::pin(std::future::ready(self.append(phone, text).map_err(Undelivered::Retry)))
    }
}

impl FileSms {
    fn append(&self, phone: &str, text: &str) -> Result<(), String> {
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

/// Notes each message in the log without sending it. Only the last three digits of the number and the
/// length of the text are logged: the text holds an activation code, and logs are kept and shipped.
pub struct LogSms;

impl SmsSender for LogSms {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), Undelivered>> {
        tracing::info!(to = %masked(phone), chars = text.chars().count(), "sms (not sent: CDS_SMS=log)");
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Refuses every message: no gateway is configured (`CDS_SMS=off`). The outbox retries, then gives up.
pub struct NoSms;

impl SmsSender for NoSms {
    fn send<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(std::future::ready(Err(Undelivered::Retry("no SMS gateway is configured (CDS_SMS=off)".into()))))
    }
}

/// `+84••••••678`: enough to tell two messages apart, not enough to call anyone.
fn masked(phone: &str) -> String {
    let digits = phone.chars().count();
    phone.chars().enumerate().map(|(i, c)| if i < 3 || i + 3 >= digits { c } else { '•' }).collect()
}

pub fn sender(settings: &Settings) -> Result<Box<dyn SmsSender>, String> {
    Ok(match &settings.sms {
        SmsTransport::Http(gateway) => Box::new(esms::EsmsSms::new(gateway.clone(), settings.sms_unicode)?),
        SmsTransport::Smpp(gateway) => Box::new(smpp::SmppSms::new(gateway.clone(), settings.sms_unicode)),
        SmsTransport::Log => Box::new(LogSms),
        SmsTransport::Off => Box::new(NoSms),
        SmsTransport::File => {
            std::fs::create_dir_all(&settings.data_dir)
                .map_err(|err| format!("CDS_DATA_DIR: cannot create {}: {err}", settings.data_dir.display()))?;
            Box::new(FileSms { path: settings.data_dir.join("sms.jsonl"), lock: Mutex::new(()) })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_sender_writes_neither_number_nor_text() {
        let written = std::sync::Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(sink.clone()))
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let sent = LogSms.send("+84912345678", "Mã kích hoạt của bạn: 482913", "m1");
            futures_util::FutureExt::now_or_never(sent).unwrap().unwrap();
        });
        let log = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert!(log.contains("+84••••••678"), "{log}");
        assert!(!log.contains("912345") && !log.contains("482913"), "{log}");
    }

    struct Writer(std::sync::Arc<Mutex<Vec<u8>>>);

    impl Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
