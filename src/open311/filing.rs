//! Filing a service request (`POST requests`): the form as Open311 clients send it becomes a normal
//! report, routed and handled like any other, with channel `open311`. It is filed under the citizen
//! whose account matches the email or phone given, else under the application's own account, and the
//! contact the application gave is kept beside it for the officials.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::keys::{application_account, ApiKey};
use super::xml::{Element, ToXml};
use super::{Open311Error, URGENT_ATTRIBUTE};
use crate::config::ServiceArea;
use crate::db::schema::{report_sources, users};
use crate::db::DbConnection;
use crate::error::{AppError, FieldError, FieldIssue, Locale};
use crate::http::{request_hash, IdempotencyKey};
use crate::notify::notifier::Notifier;
use crate::reports::filing::{file_report, Filed};
use crate::reports::source::{ReportSource, OPEN311_CHANNEL};
use crate::reports::{NewReport, NewReportRequest, ReportPosition};
use crate::routing::locator::UnitLocator;
use crate::values::{Email, PhoneNumber, ProvinceCode, Role, UserId};

/// The longest name, device id or account id an application may give.
const MOST_NAME_CHARS: usize = 100;
/// The longest `media_url`.
const MOST_URL_CHARS: usize = 1000;

/// The answer to a filing, in an array of one: `[{service_request_id, service_notice, account_id}]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FiledRequest {
    pub service_request_id: String,
    pub service_notice: Option<String>,
    /// Our account the request was filed under, when a citizen's account matched the email or phone
    /// given; otherwise empty.
    pub account_id: Option<String>,
}

impl ToXml for FiledRequest {
    fn to_xml(&self) -> Element {
        Element::new("request")
            .child(Element::text("service_request_id", &self.service_request_id))
            .child(Element::text("service_notice", self.service_notice.as_deref().unwrap_or("")))
            .child(Element::text("account_id", self.account_id.as_deref().unwrap_or("")))
    }
}

/// `GET tokens/{token}`: filing is immediate, so a request's token is its id.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RequestToken {
    pub service_request_id: String,
    pub token: String,
}

impl ToXml for RequestToken {
    fn to_xml(&self) -> Element {
        Element::new("request")
            .child(Element::text("service_request_id", &self.service_request_id))
            .child(Element::text("token", &self.token))
    }
}

fn bad(description: impl Into<String>) -> Open311Error {
    Open311Error::new(400, description)
}

/// A report's field errors told with Open311's names for the fields (`service_code`, `lat`/`long`, …).
fn described(fields: &[FieldError]) -> Open311Error {
    let named = fields.iter().map(|error| {
        let field = match error.field.as_str() {
            "category" => "service_code",
            "position" => "lat/long",
            "address_text" => "address_string",
            "urgent" => "attribute[urgent]",
            other => other,
        };
        format!("{field}: {}", error.issue.message(Locale::En))
    });
    bad(named.collect::<Vec<_>>().join("; "))
}

/// Our own errors while filing, told the Open311 way.
fn filing_error(err: AppError, service_code: &str) -> Open311Error {
    match err {
        AppError::Validation(fields) if fields.iter().any(|f| f.issue == FieldIssue::UnknownCategory) => {
            bad(format!("service_code not found: {service_code}"))
        }
        AppError::Validation(fields) if fields.iter().any(|f| f.issue == FieldIssue::OutsideServiceArea) => {
            bad("lat/long is outside the area this API key may file requests in")
        }
        other => field_error(other),
    }
}

/// A service request as the form gives it, checked: the report, and what the application says of the
/// person who filed it.
#[derive(Debug, Clone)]
pub struct ServiceRequestForm {
    pub report: NewReport,
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    /// The form itself, to tell a retry (same `Idempotency-Key`, same form) from another request.
    pub fingerprint: String,
}

impl ServiceRequestForm {
    /// Reads the form (`params`, empty values absent); 400 with every problem described.
    pub fn parse(params: &HashMap<String, String>, key: &ApiKey) -> Result<ServiceRequestForm, Open311Error> {
        let given = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let service_code = given("service_code").ok_or_else(|| bad("service_code not provided"))?;
        let (lat, long) = match (given("lat"), given("long")) {
            (Some(lat), Some(long)) => (number(lat, "lat")?, number(long, "long")?),
            _ if given("address_string").is_some() || given("address_id").is_some() => {
                return Err(bad("lat and long are required: this server cannot locate address_string or address_id"))
            }
            _ => return Err(bad("lat and long not provided")),
        };
        let mut urgent = None;
        for (name, value) in params {
            let Some(code) = name.strip_prefix("attribute[").and_then(|rest| rest.strip_suffix(']')) else { continue };
            if code != URGENT_ATTRIBUTE {
                return Err(bad(format!("attribute[{code}] is not a question of service {service_code}")));
            }
            urgent = match value.trim() {
                "" => None,
                "true" => Some(true),
                "false" => Some(false),
                other => return Err(bad(format!("attribute[urgent] is true or false, not {other}"))),
            };
        }
        let request = NewReportRequest {
            category: service_code.to_string(),
            description: given("description").unwrap_or_default().to_string(),
            position: ReportPosition { lat, lon: long, accuracy_m: None },
            address_text: given("address_string").map(str::to_string),
            media_ids: Vec::new(),
            captured_at: None,
            is_public: None,
            is_anonymous: None,
            urgent,
        };
        let mut report = request.parse().map_err(field_error)?;
        let email = given("email").map(|e| Email::parse(e, "email")).transpose().map_err(field_error)?;
        let phone = given("phone").map(|p| PhoneNumber::parse(p, "phone")).transpose().map_err(field_error)?;
        let short = |name: &str| -> Result<Option<String>, Open311Error> {
            match given(name) {
                Some(value) if value.chars().count() > MOST_NAME_CHARS => {
                    Err(bad(format!("{name} is longer than {MOST_NAME_CHARS} characters")))
                }
                value => Ok(value.map(str::to_string)),
            }
        };
        let media_url = given("media_url").map(str::to_string);
        if media_url.as_ref().is_some_and(|url| {
            !(url.starts_with("https://") || url.starts_with("http://")) || url.chars().count() > MOST_URL_CHARS
        }) {
            return Err(bad(format!("media_url is an http(s) URL of at most {MOST_URL_CHARS} characters")));
        }
        report.source = Some(ReportSource {
            channel: OPEN311_CHANNEL.into(),
            api_key_id: Some(key.id.clone()),
            first_name: short("first_name")?,
            last_name: short("last_name")?,
            email: email.as_ref().map(|e| e.as_str().to_string()),
            phone: phone.as_ref().map(|p| p.as_str().to_string()),
            device_id: short("device_id")?,
            account_id: short("account_id")?,
            media_url,
        });
        // Everything but the key itself: the same form sent again is the same request.
        let form: BTreeMap<&String, &String> = params.iter().filter(|(name, _)| *name != "api_key").collect();
        let fingerprint = request_hash(&form).map_err(Open311Error::from)?;
        Ok(ServiceRequestForm { report, email, phone, fingerprint })
    }
}

fn number(raw: &str, name: &str) -> Result<f64, Open311Error> {
    raw.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| bad(format!("{name} is not a number: {raw}")))
}

/// Field errors told with Open311's names; anything else as it is.
fn field_error(err: AppError) -> Open311Error {
    match err {
        AppError::Validation(fields) => described(&fields),
        other => Open311Error::from(other),
    }
}

/// The provinces `key` may file in, within the deployment's.
fn key_area(key: &ApiKey, deployment: &ServiceArea) -> ServiceArea {
    let provinces = key.provinces.iter().filter_map(|p| ProvinceCode::parse(p)).filter(|p| deployment.contains(p));
    ServiceArea::Provinces(provinces.collect())
}

/// The live citizen whose account has the email or phone given, if any.
fn matching_citizen(
    conn: &mut DbConnection,
    email: Option<&Email>,
    phone: Option<&PhoneNumber>,
) -> Result<Option<UserId>, AppError> {
    let query = users::table
        .filter(users::role.eq(Role::Citizen.as_str()))
        .filter(users::active.eq(true))
        .filter(users::deleted_at.is_null())
        .select(users::id)
        .order(users::id)
        .into_boxed();
    let query = match (email.map(Email::as_str), phone.map(PhoneNumber::as_str)) {
        (Some(email), Some(phone)) => query.filter(users::email.eq(email).or(users::phone.eq(phone))),
        (Some(email), None) => query.filter(users::email.eq(email)),
        (None, Some(phone)) => query.filter(users::phone.eq(phone)),
        (None, None) => return Ok(None),
    };
    Ok(query.first(conn).optional()?)
}

/// What filing needs beside the form.
pub struct Filing<'a> {
    pub key: &'a ApiKey,
    /// `Idempotency-Key`, when the client sends one; otherwise each request is a new one.
    pub idempotency_key: Option<IdempotencyKey>,
    pub area: &'a ServiceArea,
    pub notifier: &'a Notifier,
    pub boundaries: &'a UnitLocator,
    pub now: NaiveDateTime,
}

/// Files `form` as a report under the matching citizen or the application's account.
pub fn file(conn: &mut DbConnection, form: &ServiceRequestForm, filing: Filing) -> Result<FiledRequest, Open311Error> {
    let service_code = form.report.category.clone();
    let run = |conn: &mut DbConnection| -> Result<FiledRequest, AppError> {
        let citizen = matching_citizen(conn, form.email.as_ref(), form.phone.as_ref())?;
        let reporter = match &citizen {
            Some(citizen) => citizen.clone(),
            None => application_account(conn, &filing.key.id)?,
        };
        let key = filing.idempotency_key.clone().unwrap_or_else(IdempotencyKey::fresh);
        let area = key_area(filing.key, filing.area);
        let filed = file_report(
            conn,
            filing.notifier,
            &reporter,
            &key,
            &form.fingerprint,
            &form.report,
            &area,
            filing.boundaries,
            filing.now,
        )?;
        let id = match filed {
            Filed::New(id) | Filed::Existing(id) => id,
        };
        Ok(FiledRequest {
            service_request_id: id.to_string(),
            service_notice: None,
            account_id: citizen.map(|c| c.to_string()),
        })
    };
    run(conn).map_err(|err| filing_error(err, &service_code))
}

/// The request token `token` stands for (its id: filing is immediate), if a third-party application filed it.
pub fn token(conn: &mut DbConnection, token: &str) -> Result<Option<RequestToken>, AppError> {
    let found: Option<String> = report_sources::table
        .find(token)
        .filter(report_sources::channel.eq(OPEN311_CHANNEL))
        .select(report_sources::report_id)
        .first(conn)
        .optional()?;
    Ok(found.map(|id| RequestToken { service_request_id: id.clone(), token: id }))
}
