//! Typed helpers: the people, reports and pages tests work with, read from the API's answers into small
//! structs that hold only what tests look at. Helpers that return a typed value assert the request
//! succeeded; the `reqwest::Response` ones leave status and headers to the test.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::TestApp;

/// The password of the accounts tests sign up.
pub const PASSWORD: &str = "đèn đường hỏng 2026";

/// Phường Xuân Hương - Đà Lạt, Lâm Đồng (68).
pub const DA_LAT: (f64, f64) = (11.9033, 108.443);
/// Bảo Lộc, Lâm Đồng (68).
pub const BAO_LOC: (f64, f64) = (11.5480, 107.8077);
/// Hồ Chí Minh City (79).
pub const SAI_GON: (f64, f64) = (10.7769, 106.7009);

/// Someone signed in, read from a token response (sign-up, log-in, refresh, activation).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "TokenResponse")]
pub struct Citizen {
    /// The account's id.
    pub id: String,
    /// The access token.
    pub token: String,
    pub refresh_token: String,
    pub phone: Option<String>,
    pub email_verified: bool,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: String,
    user: TokenUser,
}

#[derive(Deserialize)]
struct TokenUser {
    id: String,
    phone: Option<String>,
    email_verified: bool,
}

impl From<TokenResponse> for Citizen {
    fn from(tokens: TokenResponse) -> Self {
        let TokenResponse { access_token, refresh_token, user } = tokens;
        Citizen {
            id: user.id,
            token: access_token,
            refresh_token,
            phone: user.phone,
            email_verified: user.email_verified,
        }
    }
}

/// An official signed in, and the organization they were made a member of.
#[derive(Debug, Clone)]
pub struct Official {
    pub id: String,
    pub token: String,
    pub organization: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub id: String,
    pub kind: String,
    pub name: String,
}

/// A report as a citizen or an official sees it (lists leave the timeline out).
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    pub id: String,
    pub status: String,
    pub category: String,
    pub unit_code: String,
    /// True while the unit was found by nearest centroid rather than by boundary.
    pub unit_approximate: bool,
    pub organization_id: String,
    pub organization_name: String,
    /// In officials' views only.
    pub assignee_id: Option<String>,
    pub due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolved_on_time: Option<bool>,
    pub closes_at: Option<chrono::DateTime<chrono::Utc>>,
    pub review_requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// In a report's own view (not in lists).
    #[serde(default)]
    pub deadline: Option<Deadline>,
    pub media: Vec<Media>,
    pub result_media: Vec<Media>,
    #[serde(default)]
    pub timeline: Vec<Event>,
    /// From `near`, in lists asked for by distance.
    pub distance_m: Option<f64>,
}

impl Report {
    /// The kinds of the timeline's events, oldest first.
    pub fn kinds(&self) -> Vec<&str> {
        self.timeline.iter().map(|event| event.kind.as_str()).collect()
    }
}

/// The current step's deadline.
#[derive(Debug, Clone, Deserialize)]
pub struct Deadline {
    pub step: String,
    pub counted_in: String,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub due_local: String,
    pub minutes_left: i64,
    pub overdue: bool,
    pub extended: bool,
}

/// One event of a report's timeline.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub kind: String,
    pub note: Option<String>,
}

/// An uploaded photo.
#[derive(Debug, Clone, Deserialize)]
pub struct Media {
    pub id: String,
    pub url: String,
    pub thumbnail_url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// A page of reports; the officials' inbox also counts its reports per status.
#[derive(Debug, Clone, Deserialize)]
pub struct Reports {
    pub items: Vec<Report>,
    pub next_cursor: Option<String>,
    /// Only in the inbox.
    #[serde(default)]
    pub counts: BTreeMap<String, i64>,
}

impl Reports {
    pub fn ids(&self) -> Vec<&str> {
        self.items.iter().map(|report| report.id.as_str()).collect()
    }
}

/// A page of the caller's notifications.
#[derive(Debug, Clone, Deserialize)]
pub struct Notifications {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
    pub unread_count: i64,
}

impl Notifications {
    pub fn kinds(&self) -> Vec<&str> {
        self.items.iter().map(|notification| notification.kind.as_str()).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub report_id: Option<String>,
    pub link: Option<String>,
    pub read_at: Option<String>,
}

/// `fields` over `defaults` (both JSON objects).
fn merged(mut defaults: Value, fields: Value) -> Value {
    let Value::Object(fields) = fields else { panic!("fields must be a JSON object: {fields}") };
    defaults.as_object_mut().expect("defaults are an object").extend(fields);
    defaults
}

/// A sign-up body: Nguyễn Văn An with `PASSWORD` and consent, and `fields` (phone, email, …) on top.
pub fn sign_up(fields: Value) -> Value {
    merged(json!({"password": PASSWORD, "full_name": "Nguyễn Văn An", "consent": true}), fields)
}

/// A report's body: flooding in Hẻm 12 at `place`, and `fields` (category, urgent, …) on top.
pub fn report_at((lat, lon): (f64, f64), fields: Value) -> Value {
    let flooding = json!({"category": "drainage_flooding", "description": "Ngập nặng sau mưa ở hẻm 12.",
        "address_text": "Hẻm 12", "position": {"lat": lat, "lon": lon}});
    merged(flooding, fields)
}

/// A small JPEG with a gradient.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut bytes = Vec::new();
    let mut cursor = std::io::Cursor::new(&mut bytes);
    image::DynamicImage::ImageRgb8(image).write_to(&mut cursor, image::ImageFormat::Jpeg).unwrap();
    bytes
}

/// `value` with what changes from run to run (ids, times, tokens) replaced by its field's name, for
/// snapshots that hold on SQLite and PostgreSQL alike.
pub fn redacted(value: Value) -> Value {
    const VOLATILE: [&str; 16] = [
        "id",
        "organization_id",
        "assignee_id",
        "actor_id",
        "report_id",
        "next_cursor",
        "at",
        "created_at",
        "updated_at",
        "received_at",
        "due_at",
        "resolved_at",
        "escalated_at",
        "closes_at",
        // How much working time is left depends on the day the test runs.
        "due_local",
        "minutes_left",
    ];
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| match value {
                    Value::String(_) | Value::Number(_) if VOLATILE.contains(&name.as_str()) => {
                        let placeholder = format!("[{name}]");
                        (name, Value::String(placeholder))
                    }
                    value => (name, redacted(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        value => value,
    }
}

/// A day of the working calendar (`GET /api/v1/calendar/{year}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CalendarDay {
    pub date: String,
    pub working: bool,
    pub name: String,
    pub source: String,
    pub notice: Option<String>,
}

impl TestApp {
    /// The special days of the calendar at `path` (`/api/v1/calendar/2026?province=68`), which must answer 200.
    pub async fn calendar(&self, path: &str) -> Vec<CalendarDay> {
        let year = self.get_json(path).await;
        assert_eq!(year["time_zone"], "Asia/Ho_Chi_Minh");
        serde_json::from_value(year["days"].clone()).expect("calendar days")
    }

    /// `PUT /api/v1/admin/calendar/{date}` as `token`.
    pub async fn put_calendar_day(&self, token: &str, date: &str, body: &Value) -> reqwest::Response {
        let request = self.client.put(self.url(&format!("/api/v1/admin/calendar/{date}"))).bearer_auth(token);
        request.json(body).send().await.expect("request sent")
    }

    /// Signs up a citizen; the sign-up must succeed.
    pub async fn register(&self, body: Value) -> Citizen {
        let response = self.post_json("/api/v1/auth/register", &body).await;
        assert_eq!(response.status(), 201, "register {body}");
        response.json().await.unwrap()
    }

    /// Signs up Nguyễn Văn An with `phone` (in any form).
    pub async fn citizen(&self, phone: &str) -> Citizen {
        self.register(sign_up(json!({"phone": phone}))).await
    }

    /// Signs up Trần Thị Bình by `email` alone, who reads mail in `locale`.
    pub async fn citizen_by_email(&self, email: &str, locale: &str) -> Citizen {
        self.register(sign_up(json!({"email": email, "full_name": "Trần Thị Bình", "locale": locale}))).await
    }

    /// `POST /api/v1/reports` as `token` under `key`.
    pub async fn post_report(&self, token: &str, key: &str, body: &Value) -> reqwest::Response {
        let request = self.client.post(self.url("/api/v1/reports")).bearer_auth(token).header("Idempotency-Key", key);
        request.json(body).send().await.expect("request sent")
    }

    /// Files a report as `citizen` under a fresh `Idempotency-Key`; the filing must succeed (201).
    pub async fn file_report(&self, citizen: &Citizen, body: &Value) -> Report {
        let response = self.post_report(&citizen.token, &uuid::Uuid::now_v7().to_string(), body).await;
        assert_eq!(response.status(), 201, "file {body}");
        response.json().await.unwrap()
    }

    /// Creates an account as administrator `admin` (`fields`: email, role, unit_code, … over the name
    /// "Cán bộ") and logs in as it.
    pub async fn staff(&self, admin: &str, fields: Value) -> Citizen {
        let body = merged(json!({"full_name": "Cán bộ"}), fields);
        let created = self.post_json_as(admin, "/api/v1/admin/users", &body).await;
        assert_eq!(created.status(), 201, "create {body}");
        let created: Value = created.json().await.unwrap();
        let login = self.login(body["email"].as_str().unwrap(), created["initial_password"].as_str().unwrap()).await;
        assert_eq!(login.status(), 200);
        login.json().await.unwrap()
    }

    /// Creates Lâm Đồng's water company as a department and routes its `water_supply` reports to it.
    pub async fn water_department(&self, admin: &str) -> serde_json::Value {
        let body = json!({"kind": "department", "name": "Công ty Cấp nước Lâm Đồng", "province_code": "68"});
        let department: serde_json::Value =
            self.post_json_as(admin, "/api/v1/admin/organizations", &body).await.json().await.unwrap();
        let rule = json!({"organization_id": department["id"]});
        let routed = self.put_json_as(admin, "/api/v1/admin/routing-rules/68/water_supply", &rule).await;
        assert_eq!(routed.status(), 204);
        department
    }

    /// Creates an official who is a member of `organization` (`fields`: email, locale, … over the name
    /// "Cán bộ" and unit 68); their id and initial password.
    pub async fn new_official(&self, admin: &str, organization: &str, fields: Value) -> (String, String) {
        let body = merged(json!({"full_name": "Cán bộ", "role": "official", "unit_code": "68"}), fields);
        let created = self.post_json_as(admin, "/api/v1/admin/users", &body).await;
        assert_eq!(created.status(), 201, "create {body}");
        let created: Value = created.json().await.unwrap();
        let id = created["user"]["id"].as_str().unwrap().to_string();
        let member = format!("/api/v1/admin/organizations/{organization}/members/{id}");
        let added = self.client.put(self.url(&member)).bearer_auth(admin).send().await.unwrap();
        assert_eq!(added.status(), 204);
        (id, created["initial_password"].as_str().unwrap().to_string())
    }

    /// Creates an official (mail in `locale`) who is a member of `organization`, and logs in as them.
    pub async fn official_of(&self, admin: &str, organization: &str, email: &str, locale: &str) -> Official {
        let (id, password) = self.new_official(admin, organization, json!({"email": email, "locale": locale})).await;
        let login = self.login(email, &password).await;
        assert_eq!(login.status(), 200);
        let Citizen { token, .. } = login.json().await.unwrap();
        Official { id, token, organization: organization.to_string() }
    }

    /// Creates the monitoring centre (IOC) of `province` as administrator `admin`.
    pub async fn create_ioc(&self, admin: &str, province: &str) -> Organization {
        let body = json!({"kind": "ioc", "name": format!("IOC {province}"), "province_code": province});
        let response = self.post_json_as(admin, "/api/v1/admin/organizations", &body).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// Creates the IOC of `province` and an official of it (mail in Vietnamese), logged in.
    pub async fn ioc_official(&self, admin: &str, province: &str, email: &str) -> Official {
        let ioc = self.create_ioc(admin, province).await;
        self.official_of(admin, &ioc.id, email, "vi").await
    }

    /// An official's action (`body`) on report `report`, as `token`.
    pub async fn act(&self, token: &str, report: &str, body: Value) -> reqwest::Response {
        self.post_json_as(token, &format!("/api/v1/admin/reports/{report}/actions"), &body).await
    }

    /// `act` that must succeed (200); returns the report as the official now sees it.
    pub async fn acted(&self, official: &Official, report: &str, body: Value) -> Report {
        let response = self.act(&official.token, report, body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        response.json().await.unwrap()
    }

    /// The officials' inbox (`query` is `""` or `?…`).
    pub async fn inbox(&self, token: &str, query: &str) -> Reports {
        let response = self.get_as(token, &format!("/api/v1/admin/reports{query}")).await;
        assert_eq!(response.status(), 200, "inbox{query}");
        response.json().await.unwrap()
    }

    /// The public list of reports (`query` is `""` or `?…`).
    pub async fn reports(&self, query: &str) -> Reports {
        serde_json::from_value(self.get_json(&format!("/api/v1/reports{query}")).await).unwrap()
    }

    /// The caller's notifications (`query` is `""` or `?…`).
    pub async fn notifications(&self, token: &str, query: &str) -> Notifications {
        let response = self.get_as(token, &format!("/api/v1/me/notifications{query}")).await;
        assert_eq!(response.status(), 200, "notifications{query}");
        response.json().await.unwrap()
    }

    /// Uploads `bytes` as a photo; the upload must succeed (201).
    pub async fn upload(&self, token: &str, bytes: Vec<u8>) -> Media {
        let response = self.upload_as(token, bytes, "photo.jpg", "image/jpeg").await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// `POST /api/v1/media` of `bytes` named `file_name`, declared as `mime`.
    pub async fn upload_as(&self, token: &str, bytes: Vec<u8>, file_name: &str, mime: &str) -> reqwest::Response {
        use reqwest::multipart::{Form, Part};
        let part = Part::bytes(bytes).file_name(file_name.to_string()).mime_str(mime).unwrap();
        let request = self.client.post(self.url("/api/v1/media")).bearer_auth(token);
        request.multipart(Form::new().part("file", part)).send().await.expect("request sent")
    }

    /// GET of a URL the API handed out (its host is the public URL, not the test server).
    pub async fn fetch(&self, token: Option<&str>, url: &str) -> reqwest::Response {
        let path = url.strip_prefix("http://congdanso.test").expect("a URL of the app");
        let request = self.client.get(self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
        .await
        .expect("request sent")
    }
}
