//! eSMS.vn, a brandname SMS provider, through its JSON API: one POST per message, answered with a
//! `CodeResult` (`100` is accepted). Its table of codes decides what the outbox does next.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::SmsSender;
use crate::config::EsmsGateway;
use crate::notify::Undelivered;

/// A gateway that has not answered in this long is retried later rather than waited on.
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct EsmsSms {
    client: reqwest::Client,
    gateway: EsmsGateway,
    unicode: bool,
}

/// The body eSMS expects: every value a string, as its documentation shows them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendRequest<'a> {
    api_key: &'a str,
    secret_key: &'a str,
    /// The number as dialled at home (`0912345678`), the form of eSMS's examples.
    phone: String,
    content: String,
    brandname: &'a str,
    sms_type: &'a str,
    is_unicode: &'static str,
    /// eSMS refuses a second message with the same id (for 24 hours): a retry after a lost answer is
    /// not sent twice.
    request_id: &'a str,
}

#[derive(Debug, Deserialize)]
struct SendResponse {
    /// A string in eSMS's answers; a number is taken too.
    #[serde(rename = "CodeResult")]
    code_result: serde_json::Value,
}

impl EsmsSms {
    pub fn new(gateway: EsmsGateway, unicode: bool) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|err| format!("CDS_SMS=http: cannot make an HTTP client: {err}"))?;
        Ok(EsmsSms { client, gateway, unicode })
    }

    async fn post(&self, phone: &str, text: &str, request_id: &str) -> Result<(), Undelivered> {
        let (phone, on_air) = super::addressed(phone, text, self.unicode, "eSMS")?;
        let request = SendRequest {
            api_key: &self.gateway.api_key,
            secret_key: self.gateway.secret_key.expose(),
            phone: phone.national(),
            content: on_air.text,
            brandname: &self.gateway.brandname,
            sms_type: &self.gateway.sms_type,
            is_unicode: if on_air.unicode { "1" } else { "0" },
            request_id,
        };
        // reqwest's errors name the URL, never the body: neither the number nor the code is in them.
        let response = self
            .client
            .post(&self.gateway.url)
            .json(&request)
            .send()
            .await
            .map_err(|err| Undelivered::Retry(format!("eSMS: {err}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Undelivered::Retry(format!("eSMS: HTTP {status}")));
        }
        let answer: SendResponse =
            response.json().await.map_err(|err| Undelivered::Retry(format!("eSMS: unreadable answer: {err}")))?;
        let code = match answer.code_result {
            serde_json::Value::String(code) => code,
            other => other.to_string(),
        };
        outcome(code.trim())
    }
}

/// What eSMS's `CodeResult` means for the message (its "table of error codes").
fn outcome(code: &str) -> Result<(), Undelivered> {
    let because = |why: &str| format!("eSMS: CodeResult {code}: {why}");
    match code {
        "100" => Ok(()),
        // An earlier try of this very message was accepted; its answer was lost.
        "124" => Ok(()),
        "99" => Err(Undelivered::Refused(because("the number is blocked"))),
        "108" => Err(Undelivered::Refused(because("the number is not in a valid format"))),
        "177" => Err(Undelivered::Refused(because("the brandname is not registered with this number's carrier"))),
        // Every message fails alike until an operator acts: keys, money, brandname, template, address.
        "101" => Err(Undelivered::Credentials(because("wrong CDS_SMS_API_KEY or CDS_SMS_SECRET_KEY"))),
        "102" => Err(Undelivered::Credentials(because("the account has no price list (locked?)"))),
        "103" => Err(Undelivered::Credentials(because("the account's balance is too low"))),
        "104" => Err(Undelivered::Credentials(because("CDS_SMS_BRANDNAME is not registered"))),
        "118" => Err(Undelivered::Credentials(because("CDS_SMS_TYPE is not a message type eSMS supports"))),
        "140" => Err(Undelivered::Credentials(because("this server's IP address is not on the account's list"))),
        "146" => Err(Undelivered::Credentials(because("the text does not match a registered template"))),
        _ => Err(Undelivered::Retry(because("not a code we know; retried"))),
    }
}

impl SmsSender for EsmsSms {
    fn send<'a>(
        &'a self,
        phone: &'a str,
        text: &'a str,
        request_id: &'a str,
    ) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(self.post(phone, text, request_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_between_sent_refused_credentials_and_retry() {
        assert_eq!(outcome("100"), Ok(()));
        assert_eq!(outcome("124"), Ok(()), "a duplicate RequestId was sent already");
        assert!(matches!(outcome("108"), Err(Undelivered::Refused(_))));
        for code in ["101", "102", "103", "104"] {
            assert!(matches!(outcome(code), Err(Undelivered::Credentials(_))), "{code}");
        }
        let Err(Undelivered::Retry(reason)) = outcome("999") else { panic!("an unknown code is retried") };
        assert!(reason.contains("999"), "{reason}");
    }
}
