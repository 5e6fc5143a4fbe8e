//! A carrier's SMSC over SMPP: one session bound as a transmitter, made when the first message goes
//! and made again when it drops; each message is one `submit_sm`.

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use rusmpp::pdus::{BindTransmitter, SubmitSm};
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, InterfaceVersion, Npi, RegisteredDelivery, ServiceType, Ton};
use rusmpp::CommandStatus;
use rusmppc::{Client, ConnectionBuilder, Event};
use tokio::sync::Mutex;

use super::SmsSender;
use crate::config::SmppGateway;
use crate::notify::Undelivered;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a bind or a submit waits for the SMSC's answer before the message is retried later.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);
/// Keeps an idle session alive through NATs and firewalls, and finds a dead one.
const ENQUIRE_LINK_EVERY: Duration = Duration::from_secs(30);

pub struct SmppSms {
    gateway: SmppGateway,
    unicode: bool,
    /// The bound session, if one is up. Held while one is being made, so that two messages do not
    /// bind twice.
    session: Mutex<Option<Client>>,
}

impl SmppSms {
    pub fn new(gateway: SmppGateway, unicode: bool) -> Self {
        SmppSms { gateway, unicode, session: Mutex::new(None) }
    }

    async fn submit(&self, phone: &str, text: &str) -> Result<(), Undelivered> {
        let message = self.submit_sm(phone, text)?;
        let client = self.session().await?;
        match client.submit_sm(message).await {
            Ok(_) => Ok(()),
            Err(rusmppc::error::Error::UnexpectedResponse { response }) => Err(refusal(response.status)),
            Err(err) => {
                // The session may be dead (a lost answer, a dropped line): closed, so the next message binds anew.
                let _ = client.close().await;
                Err(Undelivered::Retry(format!("SMSC {}: {err}", self.gateway.address)))
            }
        }
    }

    fn submit_sm(&self, phone: &str, text: &str) -> Result<SubmitSm, Undelivered> {
        let (phone, on_air) = super::addressed(phone, text, self.unicode, "SMPP")?;
        // UCS-2 big-endian, or the plain text's ASCII bytes in the SMSC's default alphabet.
        let (coding, bytes) = if on_air.unicode {
            (DataCoding::Ucs2, on_air.text.encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<u8>>())
        } else {
            (DataCoding::McSpecific, on_air.text.into_bytes())
        };
        let short_message =
            OctetString::from_vec(bytes).map_err(|_| Undelivered::Refused("SMPP: the text does not fit".into()))?;
        let source = &self.gateway.source_addr;
        // A brandname is alphanumeric; a short code is left to the SMSC to classify.
        let source_ton = if source.bytes().all(|b| b.is_ascii_digit()) { Ton::Unknown } else { Ton::Alphanumeric };
        Ok(SubmitSm::builder()
            .service_type(ServiceType::default())
            .source_addr_ton(source_ton)
            .source_addr_npi(Npi::Unknown)
            .source_addr(c_string(source))
            .dest_addr_ton(Ton::International)
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(c_string(phone.as_str().trim_start_matches('+')))
            .esm_class(EsmClass::default())
            .registered_delivery(RegisteredDelivery::default())
            .data_coding(coding)
            .short_message(short_message)
            .build())
    }

    /// The bound session, made (connected and bound) if there is none or it dropped.
    async fn session(&self) -> Result<Client, Undelivered> {
        let mut session = self.session.lock().await;
        if let Some(client) = session.as_ref().filter(|client| client.is_active()) {
            return Ok(client.clone());
        }
        let client = self.bind().await?;
        *session = Some(client.clone());
        Ok(client)
    }

    async fn bind(&self) -> Result<Client, Undelivered> {
        let address = &self.gateway.address;
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address))
            .await
            .map_err(|_| Undelivered::Retry(format!("SMSC {address}: no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(|err| Undelivered::Retry(format!("SMSC {address}: {err}")))?;
        // Carriers speak SMPP 3.4; rusmpp speaks 5.0, whose bind, submit_sm and enquire_link (all this
        // session uses, without optional parameters) are the same bytes.
        let (client, events) = ConnectionBuilder::new()
            .response_timeout(RESPONSE_TIMEOUT)
            .enquire_link_interval(ENQUIRE_LINK_EVERY)
            .disable_interface_version_check()
            .connected(stream);
        tokio::spawn(watch(events, address.clone()));
        let bind = BindTransmitter::builder()
            .system_id(c_string(&self.gateway.system_id))
            .password(c_string(self.gateway.password.expose()))
            .system_type(COctetString::empty())
            .interface_version(InterfaceVersion::Smpp3_4)
            .addr_ton(Ton::Unknown)
            .addr_npi(Npi::Unknown)
            .address_range(COctetString::empty())
            .build();
        match client.bind_transmitter(bind).await {
            Ok(_) => {
                tracing::info!(smsc = %address, "SMPP: bound as a transmitter");
                Ok(client)
            }
            Err(err) => {
                let _ = client.close().await;
                Err(match err {
                    rusmppc::error::Error::UnexpectedResponse { response } => Undelivered::Credentials(format!(
                        "SMSC {address} refused to bind CDS_SMPP_SYSTEM_ID with CDS_SMPP_PASSWORD: {:?}",
                        response.status
                    )),
                    other => Undelivered::Retry(format!("SMSC {address}: bind: {other}")),
                })
            }
        }
    }
}

/// A C string of a field whose length the settings checked (`smpp_field`) or that is a phone number.
fn c_string<const MIN: usize, const MAX: usize>(value: &str) -> COctetString<MIN, MAX> {
    COctetString::from_str(value).unwrap_or_default()
}

/// What a `submit_sm_resp` with an error status means for the message.
fn refusal(status: CommandStatus) -> Undelivered {
    let reason = format!("SMSC refused the message: {status:?}");
    match status {
        CommandStatus::EsmeRinvdstadr | CommandStatus::EsmeRinvdstton | CommandStatus::EsmeRinvdstnpi => {
            Undelivered::Refused(reason)
        }
        CommandStatus::EsmeRinvmsglen => Undelivered::Refused(reason),
        // Our own source address, not this message: every message fails alike until an operator acts.
        CommandStatus::EsmeRinvsrcadr | CommandStatus::EsmeRinvsrcton | CommandStatus::EsmeRinvsrcnpi => {
            Undelivered::Credentials(format!("{reason} (check CDS_SMPP_SOURCE_ADDR)"))
        }
        // Throttled, queue full, system error, or anything else: later may work.
        _ => Undelivered::Retry(reason),
    }
}

/// Logs what the session reports on its own (a dropped line, a missed enquire_link) until it ends.
async fn watch(mut events: impl futures_util::Stream<Item = Event> + Unpin, address: String) {
    while let Some(event) = events.next().await {
        if let Event::Error(err) = event {
            tracing::warn!(smsc = %address, error = %err, "SMPP: session error");
        }
    }
    tracing::info!(smsc = %address, "SMPP: session closed; the next message binds again");
}

impl SmsSender for SmppSms {
    /// SMPP has no request id: a submit whose answer was lost may, rarely, reach the phone twice.
    fn send<'a>(&'a self, phone: &'a str, text: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(self.submit(phone, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_destination_is_refused_and_a_busy_smsc_retried() {
        assert!(matches!(refusal(CommandStatus::EsmeRinvdstadr), Undelivered::Refused(_)));
        assert!(matches!(refusal(CommandStatus::EsmeRthrottled), Undelivered::Retry(_)));
        assert!(matches!(refusal(CommandStatus::EsmeRsyserr), Undelivered::Retry(_)));
        assert!(matches!(refusal(CommandStatus::EsmeRinvsrcadr), Undelivered::Credentials(_)));
    }
}
