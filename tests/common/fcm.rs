//! A local stand-in for Google's OAuth2 token endpoint and Firebase Cloud Messaging's HTTP v1 send
//! endpoint, speaking their protocols: the token endpoint takes only an RS256 assertion signed by the
//! service account's key, from its `client_email`, for the FCM scope, addressed to itself; the send
//! endpoint takes only tokens it issued and messages of FCM's shape, and answers `UNREGISTERED` for
//! tokens it is told are dead, or `UNAVAILABLE` while it is told to be down.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use serde_json::{json, Value};

pub const PROJECT: &str = "congdanso-test";
pub const CLIENT_EMAIL: &str = "push@congdanso-test.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const PRIVATE_KEY: &str = include_str!("../fixtures/fcm-test-service-account.key.pem");
/// The key's public half, as Google publishes its keys (a JWK).
const PUBLIC_KEY: &str = include_str!("../fixtures/fcm-test-service-account.jwk.json");

/// A message FCM accepted.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub token: String,
    pub message: Value,
}

#[derive(Default)]
struct State {
    issued: HashSet<String>,
    dead_tokens: HashSet<String>,
    down: bool,
    /// Sends refused while down.
    refused: usize,
    pushed: Vec<Pushed>,
}

pub struct FakeFcm {
    pub url: String,
    /// The service-account key file naming this server's token endpoint.
    pub credentials: PathBuf,
    state: Arc<Mutex<State>>,
    server: actix_web::dev::ServerHandle,
}

impl FakeFcm {
    pub async fn start() -> FakeFcm {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let token_uri = format!("{url}/token");
        let shared = (Arc::clone(&state), token_uri.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(web::Data::new(shared.clone()))
                .route("/token", web::post().to(token))
                .route("/v1/projects/{project}/messages:send", web::post().to(send))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let fcm = FakeFcm { url, credentials: PathBuf::new(), state, server: handle };
        let credentials = fcm.credentials_of(CLIENT_EMAIL);
        FakeFcm { credentials, ..fcm }
    }

    /// A service-account key file for this server's token endpoint, naming `client_email` as the
    /// account (the right key, for an account this endpoint does not know unless it is [`CLIENT_EMAIL`]).
    pub fn credentials_of(&self, client_email: &str) -> PathBuf {
        let credentials = std::env::temp_dir().join(format!("congdanso-fcm-{}.json", uuid::Uuid::now_v7().simple()));
        let token_uri = format!("{}/token", self.url);
        let key = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test-key-1",
            "private_key": PRIVATE_KEY,
            "client_email": client_email,
            "client_id": "100000000000000000001",
            "auth_uri": format!("{}/auth", self.url),
            "token_uri": token_uri,
        });
        std::fs::write(&credentials, key.to_string()).unwrap();
        credentials
    }

    /// The app's settings that send pushes here.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("CDS_FCM_CREDENTIALS".into(), self.credentials.display().to_string()),
            ("CDS_FCM_URL".into(), self.url.clone()),
        ]
    }

    /// Answers `UNREGISTERED` for `token` from now on.
    pub fn kill_token(&self, token: &str) {
        self.state.lock().unwrap().dead_tokens.insert(token.to_string());
    }

    /// While down, every send is answered 503 `UNAVAILABLE`.
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn refused_while_down(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    /// Access tokens handed out so far.
    pub fn tokens_issued(&self) -> usize {
        self.state.lock().unwrap().issued.len()
    }

    pub fn pushed(&self) -> Vec<Pushed> {
        self.state.lock().unwrap().pushed.clone()
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
        let _ = std::fs::remove_file(&self.credentials);
    }
}

type Shared = web::Data<(Arc<Mutex<State>>, String)>;

fn oauth_error(description: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": description}))
}

/// Google's token endpoint for a signed JWT assertion (RFC 7523).
async fn token(shared: Shared, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let (state, token_uri) = (&shared.0, &shared.1);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if field("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return HttpResponse::BadRequest().json(json!({"error": "unsupported_grant_type"}));
    }
    let assertion = field("assertion");
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else { return oauth_error("not a JWT") };
    // Google's libraries pad their base64; the signature covers the parts as sent.
    let decode = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let (Some(header), Some(claims)) = (decode(header), decode(claims)) else { return oauth_error("bad encoding") };
    if header["alg"] != "RS256" {
        return oauth_error("alg must be RS256");
    }
    let jwk: Value = serde_json::from_str(PUBLIC_KEY).unwrap();
    let (n, e) = (jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap());
    let key = jsonwebtoken::DecodingKey::from_rsa_components(n, e).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    let valid = jsonwebtoken::crypto::verify(
        signature.trim_end_matches('='),
        signed.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::RS256,
    );
    if valid.ok() != Some(true) {
        return oauth_error("Invalid JWT Signature.");
    }
    let now = chrono::Utc::now().timestamp();
    let scopes: Vec<&str> = claims["scope"].as_str().unwrap_or_default().split(' ').collect();
    let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
    if claims["iss"] != CLIENT_EMAIL {
        return oauth_error("unknown issuer");
    }
    if claims["aud"] != token_uri.as_str() {
        return oauth_error("wrong audience");
    }
    if !scopes.contains(&SCOPE) {
        return oauth_error("scope must include firebase.messaging");
    }
    if iat > now + 60 || exp <= now || exp - iat > 3600 {
        return oauth_error("Invalid JWT: Token must be a short-lived token (60 minutes)");
    }
    let access_token = format!("ya29.fake-{}", uuid::Uuid::now_v7().simple());
    state.lock().unwrap().issued.insert(access_token.clone());
    HttpResponse::Ok().json(json!({"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}))
}

fn fcm_error(status: u16, rpc_status: &str, error_code: Option<&str>, message: &str) -> HttpResponse {
    let mut error = json!({"code": status, "message": message, "status": rpc_status});
    if let Some(code) = error_code {
        error["details"] = json!([{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]);
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(json!({"error": error}))
}

/// What FCM checks of a message we send: a token, a notification of strings, data of strings only,
/// platform priorities FCM knows, under 4 KB.
fn schema_problem(body: &Value, size: usize) -> Option<String> {
    let Some(message) = body.get("message") else { return Some("message".into()) };
    let strings = |v: &Value| v.as_object().is_some_and(|o| o.values().all(Value::is_string));
    let checks = [
        (body.as_object().is_some_and(|o| o.len() == 1), "only `message` at the top"),
        (message["token"].as_str().is_some_and(|t| !t.is_empty()), "message.token"),
        (message["notification"]["title"].is_string() && message["notification"]["body"].is_string(), "notification"),
        (strings(&message["data"]), "data values must be strings"),
        (matches!(message["android"]["priority"].as_str(), Some("high" | "normal")), "android.priority"),
        (matches!(message["apns"]["headers"]["apns-priority"].as_str(), Some("10" | "5")), "apns-priority"),
        (size < 4096, "message too big"),
    ];
    checks.iter().find(|(ok, _)| !ok).map(|(_, what)| what.to_string())
}

async fn send(shared: Shared, request: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let state = &shared.0;
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let mut state = state.lock().unwrap();
    if !state.issued.contains(&bearer) {
        return fcm_error(401, "UNAUTHENTICATED", None, "Request had invalid authentication credentials.");
    }
    if path.as_str() != PROJECT {
        return fcm_error(403, "PERMISSION_DENIED", Some("SENDER_ID_MISMATCH"), "project");
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return fcm_error(400, "INVALID_ARGUMENT", None, "Invalid JSON payload received.");
    };
    if let Some(problem) = schema_problem(&parsed, body.len()) {
        return fcm_error(400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"), &problem);
    }
    if state.down {
        state.refused += 1;
        return fcm_error(503, "UNAVAILABLE", Some("UNAVAILABLE"), "The service is currently unavailable.");
    }
    let token = parsed["message"]["token"].as_str().unwrap().to_string();
    if state.dead_tokens.contains(&token) {
        return fcm_error(404, "NOT_FOUND", Some("UNREGISTERED"), "Requested entity was not found.");
    }
    let name = format!("projects/{PROJECT}/messages/{}", state.pushed.len() + 1);
    state.pushed.push(Pushed { token, message: parsed["message"].clone() });
    HttpResponse::Ok().json(json!({"name": name}))
}
