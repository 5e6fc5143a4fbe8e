//! Sends one mail through lettre: SMTP in production, `.eml` files in the data dir in development.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::{MailTransport, Settings};

pub struct Mailer {
    from: Mailbox,
    transport: Transport_,
}

enum Transport_ {
    Smtp(SmtpTransport),
    Files(FileTransport),
}

impl Mailer {
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let from: Mailbox = settings.mail_from.parse().map_err(|err| format!("CDS_MAIL_FROM: {err}"))?;
        let transport = match &settings.smtp {
            MailTransport::Smtp(url) => Transport_::Smtp(
                SmtpTransport::from_url(url)
                    .map_err(|err| format!("CDS_SMTP_URL: {err}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            MailTransport::Files => {
                let dir = settings.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|err| format!("CDS_DATA_DIR: cannot create {}: {err}", dir.display()))?;
                Transport_::Files(FileTransport::new(dir))
            }
        };
        Ok(Mailer { from, transport })
    }

    /// Blocking: call from the blocking pool.
    pub fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        // The address is not repeated in the error: errors are logged, addresses are personal.
        let to: Mailbox = to.parse().map_err(|err| format!("recipient: {err}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|err| format!("building the message: {err}"))?;
        match &self.transport {
            Transport_::Smtp(smtp) => smtp.send(&message).map(drop).map_err(|err| err.to_string()),
            Transport_::Files(files) => files.send(&message).map(drop).map_err(|err| err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_development_mail_is_written_as_eml_files_in_the_data_dir() {
        let data_dir = std::env::temp_dir().join(format!("congdanso-mailer-{}", uuid::Uuid::now_v7().simple()));
        let dir = data_dir.display().to_string();
        let settings = Settings::from_lookup(|name| (name == "CDS_DATA_DIR").then(|| dir.clone())).unwrap();
        assert_eq!(settings.smtp, MailTransport::Files);
        let mailer = Mailer::new(&settings).unwrap();
        mailer.send("binh@example.vn", "Xác nhận địa chỉ email", "Chào Bình".into()).unwrap();
        let files: Vec<_> = std::fs::read_dir(data_dir.join("mail")).unwrap().map(|f| f.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("To: binh@example.vn"), "{eml}");
        std::fs::remove_dir_all(data_dir).unwrap();
    }
}
