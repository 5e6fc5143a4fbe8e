//! Text messages through real gateways: an activation code sent to a local eSMS server that checks the
//! request as eSMS documents it, and to a local SMSC that speaks SMPP; errors retried with the same
//! request id; and the day's limits per phone and per deployment.

use std::collections::VecDeque;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::{SinkExt, StreamExt};
use rusmpp::pdus::{BindTransmitterResp, SubmitSmResp};
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::types::COctetString;
use rusmpp::values::{DataCoding, Npi, Ton};
use rusmpp::{Command, CommandStatus, Pdu};
use serde_json::{json, Value};
use tokio_util::codec::Framed;

use crate::common::{assert_problem, Backend, TestApp, PASSWORD};
use crate::on_both_databases;

/// Like `on_both_databases!`, for tests that start their gateway before the app (its port is a setting).
macro_rules! on_both_databases_with_a_gateway {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(crate::common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test(crate::common::Backend::Postgres).await;
            }
        }
    )*};
}

on_both_databases_with_a_gateway!(
    an_activation_code_goes_through_esms_once,
    a_failed_send_is_retried_as_the_same_esms_request,
    refused_credentials_keep_the_message_until_they_work,
    a_number_esms_refuses_is_given_up_at_once,
    an_activation_code_goes_through_an_smsc,
    a_dropped_smpp_session_is_bound_again,
    a_refused_bind_keeps_the_message_until_it_binds,
);
on_both_databases!(the_sixth_text_to_one_phone_in_a_day_is_refused);
on_both_databases!(with [("CDS_SMS_PER_DAY", "2")] => the_deployment_stops_at_its_daily_budget);

const PHONE: &str = "+84912345678";
const API_KEY: &str = "ESMS-API-KEY-68";
const SECRET_KEY: &str = "esms-secret-68";
const BRANDNAME: &str = "LAMDONG.GOV";

// ---- The flow that sends a text: a volunteer opens an account for a neighbour. ----

/// A volunteer with an agent in a running campaign of Phường Xuân Hương - Đà Lạt.
struct Volunteer {
    token: String,
    agent_id: String,
}

async fn volunteer(app: &TestApp) -> Volunteer {
    let admin = app.admin_token().await;
    let hoa = app.staff(&admin, json!({"email": "hoa@doan.vn", "role": "volunteer", "unit_code": "22945"})).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let days = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let drive = json!({"name": "Đi từng ngõ, gõ từng nhà", "unit_code": "22945", "starts_on": days(-3), "ends_on": days(30), "target_signups": 10});
    let created = app.post_json_as(&admin, "/api/v1/admin/campaigns", &drive).await;
    assert_eq!(created.status(), 201);
    let campaign: Value = created.json().await.unwrap();
    let path = format!("/api/v1/admin/campaigns/{}/agents", campaign["id"].as_str().unwrap());
    let agent = app.post_json_as(&admin, &path, &json!({"display_name": "Chị Hoa", "user_id": hoa.id})).await;
    assert_eq!(agent.status(), 201);
    let agent: Value = agent.json().await.unwrap();
    Volunteer { token: hoa.token, agent_id: agent["id"].as_str().unwrap().to_string() }
}

impl Volunteer {
    async fn open_account_for(&self, app: &TestApp, phone: &str) -> reqwest::Response {
        let neighbour =
            json!({"agent_id": self.agent_id, "phone": phone, "full_name": "Cụ Trần Văn Bảy", "consent": true});
        app.post_json_as(&self.token, "/api/v1/onboarding/assisted", &neighbour).await
    }

    async fn resend_code_to(&self, app: &TestApp, phone: &str) -> reqwest::Response {
        let resend = json!({"agent_id": self.agent_id, "phone": phone});
        app.post_json_as(&self.token, "/api/v1/onboarding/assisted/resend", &resend).await
    }
}

async fn activate(app: &TestApp, phone: &str, code: &str) -> reqwest::Response {
    app.post_json("/api/v1/onboarding/activate", &json!({"phone": phone, "code": code, "password": PASSWORD})).await
}

fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a six-digit code").to_string()
}

/// A text message in the outbox, as stored.
#[derive(Debug, Clone)]
struct SmsRow {
    id: String,
    recipient: String,
    attempts: i32,
    sent: bool,
    failed: bool,
}

async fn sms_rows(app: &TestApp) -> Vec<SmsRow> {
    app.database()
        .run(|conn| {
            use congdanso::db::schema::outbox;
            use diesel::prelude::*;
            type Row = (String, String, i32, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);
            let rows: Vec<Row> = outbox::table
                .filter(outbox::channel.eq("sms"))
                .order(outbox::id.asc())
                .select((outbox::id, outbox::recipient, outbox::attempts, outbox::sent_at, outbox::failed_at))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, recipient, attempts, sent_at, failed_at)| SmsRow {
                    id,
                    recipient,
                    attempts,
                    sent: sent_at.is_some(),
                    failed: failed_at.is_some(),
                })
                .collect())
        })
        .await
        .unwrap()
}

/// Polls `probe` until it gives a value, for up to 20 seconds (the outbox retries after 1 s, then 2 s).
async fn eventually<T, F: Future<Output = Option<T>>>(what: &str, mut probe: impl FnMut() -> F) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The only text message of the outbox, once it is sent.
async fn the_sent_message(app: &TestApp) -> SmsRow {
    eventually("the text message is sent", || async {
        let rows = sms_rows(app).await;
        assert!(rows.len() <= 1, "{rows:?}");
        rows.into_iter().next().filter(|row| row.sent)
    })
    .await
}

// ---- A local eSMS: SendMultipleMessage_V4_post_json as documented. ----

/// What the local eSMS answers, in turn; `100` once the script is done.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Http(u16),
    Code(&'static str),
}

/// One request the local eSMS received, and what it answered.
#[derive(Debug, Clone)]
struct EsmsCall {
    body: Value,
    answered: String,
}

#[derive(Default)]
struct EsmsState {
    script: Mutex<VecDeque<Answer>>,
    calls: Mutex<Vec<EsmsCall>>,
}

struct FakeEsms {
    url: String,
    state: Arc<EsmsState>,
    server: actix_web::dev::ServerHandle,
}

impl FakeEsms {
    async fn start(script: &[Answer]) -> FakeEsms {
        let state = Arc::new(EsmsState { script: Mutex::new(script.iter().copied().collect()), ..Default::default() });
        let shared = web::Data::from(state.clone());
        let path = "/MainService.svc/json/SendMultipleMessage_V4_post_json/";
        let server =
            HttpServer::new(move || App::new().app_data(shared.clone()).route(path, web::post().to(esms_send)))
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")
                .expect("bind the local eSMS");
        let url = format!("http://{}{path}", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeEsms { url, state, server: handle }
    }

    fn calls(&self) -> Vec<EsmsCall> {
        self.state.calls.lock().unwrap().clone()
    }

    /// The app's settings for this account.
    fn settings(&self) -> [(&str, &str); 5] {
        [
            ("CDS_SMS", "http"),
            ("CDS_SMS_URL", &self.url),
            ("CDS_SMS_API_KEY", API_KEY),
            ("CDS_SMS_SECRET_KEY", SECRET_KEY),
            ("CDS_SMS_BRANDNAME", BRANDNAME),
        ]
    }

    async fn app(&self, backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, &self.settings()).await
    }

    async fn stop(self, app: TestApp) {
        app.servers().stop().await;
        self.server.stop(false).await;
    }
}

/// The request eSMS documents: eight fields, every one a string; ours has the account's keys and
/// brandname, customer care (`2`), no diacritics, the number as dialled at home, and an id.
fn esms_request_problem(body: &Value) -> Option<String> {
    let Some(fields) = body.as_object() else { return Some(format!("not an object: {body}")) };
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    let expected = ["ApiKey", "Brandname", "Content", "IsUnicode", "Phone", "RequestId", "SecretKey", "SmsType"];
    if names != expected {
        return Some(format!("fields {names:?}, expected {expected:?}"));
    }
    if let Some((name, value)) = fields.iter().find(|(_, value)| !value.is_string()) {
        return Some(format!("{name} is {value}, not a string"));
    }
    let field = |name: &str| fields[name].as_str().unwrap();
    let phone = field("Phone");
    let problems = [
        (field("ApiKey") != API_KEY, "ApiKey"),
        (field("SecretKey") != SECRET_KEY, "SecretKey"),
        (field("Brandname") != BRANDNAME, "Brandname"),
        (field("SmsType") != "2", "SmsType"),
        (field("IsUnicode") != "0", "IsUnicode"),
        (!field("Content").is_ascii() || field("Content").is_empty(), "Content (diacritics?)"),
        (!(phone.len() == 10 && phone.starts_with('0') && phone.bytes().all(|b| b.is_ascii_digit())), "Phone"),
        (field("RequestId").is_empty() || field("RequestId").len() > 50, "RequestId"),
    ];
    problems.iter().find(|(wrong, _)| *wrong).map(|(_, name)| format!("{name} is wrong in {body}"))
}

async fn esms_send(state: web::Data<EsmsState>, request: actix_web::HttpRequest, body: web::Bytes) -> HttpResponse {
    let json_sent = request.headers().get("content-type").is_some_and(|v| v.as_bytes() == b"application/json");
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let problem = if json_sent { esms_request_problem(&body) } else { Some("not application/json".into()) };
    let answer = match problem {
        Some(problem) => Err(problem),
        None => Ok(state.script.lock().unwrap().pop_front().unwrap_or(Answer::Code("100"))),
    };
    let (answered, response) = match answer {
        Err(problem) => (format!("HTTP 400: {problem}"), HttpResponse::BadRequest().body(problem)),
        Ok(Answer::Http(status)) => {
            let status = actix_web::http::StatusCode::from_u16(status).unwrap();
            (format!("HTTP {}", status.as_u16()), HttpResponse::build(status).body("busy"))
        }
        Ok(Answer::Code("100")) => (
            "100".to_string(),
            HttpResponse::Ok().json(json!({"CodeResult": "100", "CountRegenerate": 0, "SMSID": "b6d6a3e6-sms"})),
        ),
        Ok(Answer::Code(code)) => (
            code.to_string(),
            HttpResponse::Ok().json(json!({"CodeResult": code, "CountRegenerate": 0, "ErrorMessage": "refused"})),
        ),
    };
    state.calls.lock().unwrap().push(EsmsCall { body, answered });
    response
}

async fn an_activation_code_goes_through_esms_once(backend: Backend) {
    let esms = FakeEsms::start(&[]).await;
    let Some(app) = esms.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912 345 678").await.status(), 201);

    let message = the_sent_message(&app).await;
    assert_eq!((message.recipient.as_str(), message.attempts), (PHONE, 0));
    let calls = esms.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].answered, "100", "{calls:?}");
    let sent = &calls[0].body;
    assert_eq!(sent["Phone"], "0912345678");
    assert_eq!(sent["RequestId"], message.id, "the outbox's id, the same on every try");
    // The code eSMS was given is the neighbour's: it activates the account.
    let code = six_digits(sent["Content"].as_str().unwrap());
    assert_eq!(activate(&app, "0912345678", &code).await.status(), 200);
    esms.stop(app).await;
}

async fn a_failed_send_is_retried_as_the_same_esms_request(backend: Backend) {
    let esms = FakeEsms::start(&[Answer::Http(503), Answer::Code("999")]).await;
    let Some(app) = esms.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);

    let message = the_sent_message(&app).await;
    assert_eq!(message.attempts, 2, "two failures before it went");
    let calls = esms.calls();
    let answered: Vec<&str> = calls.iter().map(|call| call.answered.as_str()).collect();
    assert_eq!(answered, ["HTTP 503", "999", "100"]);
    for call in &calls {
        assert_eq!(call.body["RequestId"], message.id, "every try is the same message to eSMS");
        assert_eq!(call.body["Content"], calls[0].body["Content"], "with the same code");
    }
    esms.stop(app).await;
}

async fn refused_credentials_keep_the_message_until_they_work(backend: Backend) {
    let esms = FakeEsms::start(&[Answer::Code("101"), Answer::Code("101")]).await;
    let Some(app) = esms.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);

    let waiting = eventually("the refusal is noted", || async {
        sms_rows(&app).await.into_iter().next().filter(|row| row.attempts >= 1)
    })
    .await;
    assert!(!waiting.failed, "a refused key is the operator's to fix, not the message's fault");
    // The operator puts the right keys in (here: eSMS takes them again); the message goes.
    let message = the_sent_message(&app).await;
    assert_eq!((message.attempts, message.failed), (2, false));
    let answered: Vec<String> = esms.calls().into_iter().map(|call| call.answered).collect();
    assert_eq!(answered, ["101", "101", "100"]);
    esms.stop(app).await;
}

async fn a_number_esms_refuses_is_given_up_at_once(backend: Backend) {
    let esms = FakeEsms::start(&[Answer::Code("108")]).await;
    let Some(app) = esms.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);

    let given_up = eventually("the message is given up", || async {
        sms_rows(&app).await.into_iter().next().filter(|r| r.failed)
    })
    .await;
    assert_eq!((given_up.attempts, given_up.sent), (1, false));
    assert_eq!(esms.calls().len(), 1, "not retried");
    esms.stop(app).await;
}

// ---- A local SMSC: binds, enquire_link and submit_sm over SMPP. ----

const SYSTEM_ID: &str = "lamdong";
const SMPP_PASSWORD: &str = "Ld68smpp";
const SOURCE_ADDR: &str = "LAMDONG";

/// A `submit_sm` the local SMSC received.
#[derive(Debug, Clone)]
struct Submitted {
    source_addr: String,
    source_addr_ton: Ton,
    destination_addr: String,
    dest_addr_ton: Ton,
    dest_addr_npi: Npi,
    data_coding: DataCoding,
    short_message: String,
}

#[derive(Debug, Default)]
struct SmscLog {
    /// Each bind and whether it was accepted.
    binds: Vec<bool>,
    submitted: Vec<Submitted>,
    /// The client's answers to the SMSC's own enquire_link.
    enquire_links_answered: usize,
}

#[derive(Clone, Copy, Default)]
struct SmscBehaviour {
    /// Refuse this many binds (a wrong password) before accepting.
    refuse_binds: usize,
    /// Hang up after each submit_sm (a session that drops).
    hang_up_after_submit: bool,
}

struct FakeSmsc {
    address: String,
    log: Arc<Mutex<SmscLog>>,
    accept: tokio::task::JoinHandle<()>,
}

impl FakeSmsc {
    async fn start(behaviour: SmscBehaviour) -> FakeSmsc {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the local SMSC");
        let address = listener.local_addr().unwrap().to_string();
        let log = Arc::new(Mutex::new(SmscLog::default()));
        let sessions = log.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smsc_session(Framed::new(stream, CommandCodec::new()), sessions.clone(), behaviour));
            }
        });
        FakeSmsc { address, log, accept }
    }

    async fn app(&self, backend: Backend) -> Option<TestApp> {
        let settings = [
            ("CDS_SMS", "smpp"),
            ("CDS_SMPP_ADDRESS", self.address.as_str()),
            ("CDS_SMPP_SYSTEM_ID", SYSTEM_ID),
            ("CDS_SMPP_PASSWORD", SMPP_PASSWORD),
            ("CDS_SMPP_SOURCE_ADDR", SOURCE_ADDR),
        ];
        TestApp::spawn_with(backend, &settings).await
    }

    fn submitted(&self) -> Vec<Submitted> {
        self.log.lock().unwrap().submitted.clone()
    }

    async fn stop(self, app: TestApp) {
        app.servers().stop().await;
        self.accept.abort();
    }
}

/// One SMPP session, as an SMSC answers it: binds checked against the account, enquire_link answered
/// (and sent once after the bind, to see the client answer), submit_sm taken.
async fn smsc_session(
    mut session: Framed<tokio::net::TcpStream, CommandCodec>,
    log: Arc<Mutex<SmscLog>>,
    behaviour: SmscBehaviour,
) {
    while let Some(Ok(command)) = session.next().await {
        let sequence = command.sequence_number();
        let (status, answer): (CommandStatus, Pdu) = match command.pdu() {
            Some(Pdu::BindTransmitter(bind)) => {
                let account = bind.system_id.as_str() == SYSTEM_ID && bind.password.as_str() == SMPP_PASSWORD;
                let mut log = log.lock().unwrap();
                let refused_before = log.binds.iter().filter(|accepted| !**accepted).count();
                let accepted = account && refused_before >= behaviour.refuse_binds;
                log.binds.push(accepted);
                let status = if accepted { CommandStatus::EsmeRok } else { CommandStatus::EsmeRinvpaswd };
                (
                    status,
                    BindTransmitterResp::builder().system_id(COctetString::from_str("SMSC").unwrap()).build().into(),
                )
            }
            Some(Pdu::EnquireLink) => (CommandStatus::EsmeRok, Pdu::EnquireLinkResp),
            Some(Pdu::EnquireLinkResp) => {
                log.lock().unwrap().enquire_links_answered += 1;
                continue;
            }
            Some(Pdu::SubmitSm(submit)) => {
                log.lock().unwrap().submitted.push(Submitted {
                    source_addr: submit.source_addr.to_string(),
                    source_addr_ton: submit.source_addr_ton,
                    destination_addr: submit.destination_addr.to_string(),
                    dest_addr_ton: submit.dest_addr_ton,
                    dest_addr_npi: submit.dest_addr_npi,
                    data_coding: submit.data_coding,
                    short_message: String::from_utf8_lossy(submit.short_message().as_ref()).into_owned(),
                });
                let id = COctetString::from_str("msg-1").unwrap();
                (CommandStatus::EsmeRok, SubmitSmResp::builder().message_id(id).build().into())
            }
            Some(Pdu::Unbind) => {
                let _ = session.send(Command::new(CommandStatus::EsmeRok, sequence, Pdu::UnbindResp)).await;
                return;
            }
            _ => (CommandStatus::EsmeRinvcmdid, Pdu::GenericNack),
        };
        let bound = matches!(command.pdu(), Some(Pdu::BindTransmitter(_))) && status == CommandStatus::EsmeRok;
        let submitted = matches!(command.pdu(), Some(Pdu::SubmitSm(_)));
        if session.send(Command::new(status, sequence, answer)).await.is_err() {
            return;
        }
        if bound {
            let _ = session.send(Command::new(CommandStatus::EsmeRok, 1_000_000, Pdu::EnquireLink)).await;
        }
        if submitted && behaviour.hang_up_after_submit {
            return;
        }
    }
}

async fn an_activation_code_goes_through_an_smsc(backend: Backend) {
    let smsc = FakeSmsc::start(SmscBehaviour::default()).await;
    let Some(app) = smsc.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);

    let message = the_sent_message(&app).await;
    assert_eq!(message.attempts, 0);
    let submitted = smsc.submitted();
    assert_eq!(submitted.len(), 1, "{submitted:?}");
    let sm = &submitted[0];
    assert_eq!((sm.source_addr.as_str(), sm.source_addr_ton), (SOURCE_ADDR, Ton::Alphanumeric));
    assert_eq!(
        (sm.destination_addr.as_str(), sm.dest_addr_ton, sm.dest_addr_npi),
        ("84912345678", Ton::International, Npi::Isdn)
    );
    assert_eq!(sm.data_coding, DataCoding::McSpecific, "plain text in the SMSC's alphabet");
    assert!(sm.short_message.starts_with("Cong dan so: ma kich hoat"), "{}", sm.short_message);
    assert_eq!(activate(&app, "0912345678", &six_digits(&sm.short_message)).await.status(), 200);
    let log = eventually("the app answers the SMSC's enquire_link", || async {
        let log = smsc.log.lock().unwrap();
        (log.enquire_links_answered >= 1).then(|| log.binds.clone())
    })
    .await;
    assert_eq!(log, [true], "one session, bound once");
    smsc.stop(app).await;
}

async fn a_dropped_smpp_session_is_bound_again(backend: Backend) {
    let smsc = FakeSmsc::start(SmscBehaviour { hang_up_after_submit: true, ..Default::default() }).await;
    let Some(app) = smsc.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);
    the_sent_message(&app).await;
    // The SMSC hung up; the code is sent again, through a new session.
    assert_eq!(hoa.resend_code_to(&app, "0912345678").await.status(), 202);

    let rows = eventually("both messages are sent", || async {
        let rows = sms_rows(&app).await;
        (rows.len() == 2 && rows.iter().all(|row| row.sent)).then_some(rows)
    })
    .await;
    assert!(rows.iter().all(|row| !row.failed), "{rows:?}");
    let submitted = smsc.submitted();
    assert_eq!(submitted.len(), 2, "each message reached the SMSC once: {submitted:?}");
    let binds = smsc.log.lock().unwrap().binds.clone();
    assert_eq!(binds, [true, true], "bound again after the drop");
    let code = six_digits(&submitted[1].short_message);
    assert_eq!(activate(&app, "0912345678", &code).await.status(), 200, "the second code is the one that works");
    smsc.stop(app).await;
}

async fn a_refused_bind_keeps_the_message_until_it_binds(backend: Backend) {
    let smsc = FakeSmsc::start(SmscBehaviour { refuse_binds: 2, ..Default::default() }).await;
    let Some(app) = smsc.app(backend).await else { return };
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);

    let message = the_sent_message(&app).await;
    assert_eq!((message.attempts, message.failed), (2, false), "retried, not given up, while the bind was refused");
    assert_eq!(smsc.log.lock().unwrap().binds, [false, false, true]);
    assert_eq!(smsc.submitted().len(), 1);
    smsc.stop(app).await;
}

// ---- The day's limits (the development file sender: what is counted is the outbox). ----

async fn the_sixth_text_to_one_phone_in_a_day_is_refused(app: TestApp) {
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);
    for _ in 0..4 {
        assert_eq!(hoa.resend_code_to(&app, "0912345678").await.status(), 202);
    }
    let refused = hoa.resend_code_to(&app, "0912345678").await;
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=24 * 3600).contains(&retry_after), "until midnight in Vietnam: {retry_after}");
    assert_problem(refused, 429, "sms_limit_phone").await;
    assert_eq!(sms_rows(&app).await.len(), 5, "the refused request put nothing in the outbox");
    // Another phone has its own five.
    assert_eq!(hoa.open_account_for(&app, "0987654321").await.status(), 201);
}

async fn the_deployment_stops_at_its_daily_budget(app: TestApp) {
    let hoa = volunteer(&app).await;
    assert_eq!(hoa.open_account_for(&app, "0912345678").await.status(), 201);
    assert_eq!(hoa.open_account_for(&app, "0987654321").await.status(), 201);
    let refused = hoa.open_account_for(&app, "0977123456").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 503, "sms_limit_daily").await;
    // Nothing was opened: the neighbour can still sign up with this phone themselves.
    assert_eq!(app.citizen("0977123456").await.phone.as_deref(), Some("+84977123456"));
    assert_eq!(sms_rows(&app).await.len(), 2);
}
