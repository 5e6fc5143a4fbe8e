//! `/open311/v2/…` (anybody; filing takes an API key): Open311 GeoReport v2 in JSON or XML, chosen by
//! the path's `.json` or `.xml`. Errors are the specification's `[{code, description}]` (XML:
//! `<errors><error>…`), not problem documents.

use actix_web::http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use actix_web::http::StatusCode;
use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::state::AppState;
use crate::auth::limits::{self, Action, Counted};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::http::IdempotencyKey;
use crate::open311::filing::{self, FiledRequest, Filing, RequestToken, ServiceRequestForm};
use crate::open311::keys;
use crate::open311::requests::{self as service_requests, RequestSearch, ServiceRequest};
use crate::open311::xml::{self, ToXml};
use crate::open311::{self, check_jurisdiction, Discovery, Open311Error, Service, ServiceDefinition};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/open311/v2")
            .service(web::resource("/discovery.{format}").route(web::get().to(discovery)))
            .service(web::resource("/services.{format}").route(web::get().to(services)))
            .service(web::resource("/services/{code}.{format}").route(web::get().to(service_definition)))
            .service(
                web::resource("/requests.{format}").route(web::get().to(requests)).route(web::post().to(file_request)),
            )
            .service(web::resource("/requests/{id}.{format}").route(web::get().to(request)))
            .service(web::resource("/tokens/{token}.{format}").route(web::get().to(token)))
            .default_service(web::to(|| async { failed(Format::Json, Open311Error::new(404, "no such operation")) })),
    );
}

/// The document's format, from the path's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    fn parse(suffix: &str) -> Result<Format, Open311Error> {
        match suffix {
            "json" => Ok(Format::Json),
            "xml" => Ok(Format::Xml),
            other => Err(Open311Error::new(404, format!("no format {other:?}: use .json or .xml"))),
        }
    }
}

/// The document in the format asked; `xml` writes it as XML.
fn ok<T: Serialize>(format: Format, value: &T, xml: impl FnOnce(&T) -> String) -> HttpResponse {
    match format {
        Format::Json => HttpResponse::Ok().json(value),
        Format::Xml => HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(xml(value)),
    }
}

/// The specification's errors: `[{code, description}]`, or `<errors><error>…</error></errors>`.
fn failed(format: Format, error: Open311Error) -> HttpResponse {
    let status = StatusCode::from_u16(error.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match format {
        Format::Json => HttpResponse::build(status).json([&error]),
        Format::Xml => HttpResponse::build(status)
            .content_type("text/xml; charset=utf-8")
            .body(xml::list("errors", std::slice::from_ref(&error))),
    }
}

/// One item as the specification answers it: an array of one (`<service_requests>` in XML), or 404
/// with `missing`.
fn array_of_one<T: Serialize + ToXml>(
    format: Format,
    found: Result<Option<T>, AppError>,
    missing: String,
) -> HttpResponse {
    match found {
        Ok(Some(found)) => ok(format, &[found], |items| xml::list("service_requests", items)),
        Ok(None) => failed(format, Open311Error::new(404, missing)),
        Err(err) => failed(format, Open311Error::from(err)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by `params_of`, documented from here
pub struct JurisdictionParam {
    /// A province code this deployment serves, or its configured id (`CDS_OPEN311_JURISDICTION_ID`);
    /// empty or absent: this deployment.
    #[param(example = "68")]
    jurisdiction_id: Option<String>,
}

/// The query's parameters, read as Open311 clients send them: anything unreadable or unknown is ignored.
fn params_of(req: &HttpRequest) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()).unwrap_or_default().into_iter().collect()
}

/// The format of the path's suffix, and the query's `jurisdiction_id` checked.
fn checked(state: &AppState, format: &str, req: &HttpRequest) -> Result<Format, (Format, Open311Error)> {
    let format = Format::parse(format).map_err(|err| (Format::Json, err))?;
    jurisdiction_of(state, &params_of(req)).map_err(|err| (format, err))?;
    Ok(format)
}

/// The `jurisdiction_id` among `params` checked against this deployment (see `check_jurisdiction`).
fn jurisdiction_of(state: &AppState, params: &HashMap<String, String>) -> Result<(), Open311Error> {
    let configured = state.settings.open311_jurisdiction_id.as_deref();
    check_jurisdiction(params.get("jurisdiction_id").map(String::as_str), &state.settings.service_area, configured)
}

/// Where this Open311 endpoint is, what it speaks and how to get an API key.
#[utoipa::path(get, path = "/open311/v2/discovery.{format}", tag = "open311", operation_id = "open311Discovery",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json")),
    responses(
        (status = 200, description = "Discovery", content((Discovery = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Another format: `[{code, description}]`", content((Vec<Open311Error> = "application/json"))),
    ))]
pub async fn discovery(state: web::Data<AppState>, format: web::Path<String>) -> HttpResponse {
    let format = match Format::parse(&format) {
        Ok(format) => format,
        Err(err) => return failed(Format::Json, err),
    };
    let discovery = open311::discovery(&state.settings.public_url, &state.settings.mail_from);
    ok(format, &discovery, |d| xml::document(&d.to_xml()))
}

/// The services: one per active category, `service_name` in Vietnamese, `metadata` true where the
/// definition asks a question (urgency).
#[utoipa::path(get, path = "/open311/v2/services.{format}", tag = "open311", operation_id = "open311Services",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json"), JurisdictionParam),
    responses(
        (status = 200, description = "The services", content((Vec<Service> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Another format, or an unknown `jurisdiction_id`: `[{code, description}]`, or `<errors>` in XML", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn services(state: web::Data<AppState>, format: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let format = match checked(&state, &format, &req) {
        Ok(format) => format,
        Err((format, err)) => return failed(format, err),
    };
    match state.db.read(open311::services).await {
        Ok(services) => ok(format, &services, |s| xml::list("services", s)),
        Err(err) => failed(format, Open311Error::from(err)),
    }
}

/// A service's definition: its `attributes` (the urgency question, where the category allows urgent reports).
#[utoipa::path(get, path = "/open311/v2/services/{service_code}.{format}", tag = "open311", operation_id = "open311ServiceDefinition",
    params(
        ("service_code" = String, Path, description = "A service's code", example = "waste"),
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
        JurisdictionParam,
    ),
    responses(
        (status = 200, description = "The definition", content((ServiceDefinition = "application/json"), (String = "text/xml"))),
        (status = 404, description = "An unknown `service_code` or `jurisdiction_id`, or another format: `[{code, description}]`, or `<errors>` in XML", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn service_definition(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    let (code, format) = path.into_inner();
    let format = match checked(&state, &format, &req) {
        Ok(format) => format,
        Err((format, err)) => return failed(format, err),
    };
    let lookup = code.clone();
    match state.db.read(move |conn| open311::service_definition(conn, &lookup)).await {
        Ok(Some(definition)) => ok(format, &definition, |d| xml::document(&d.to_xml())),
        Ok(None) => failed(format, Open311Error::new(404, format!("service_code not found: {code}"))),
        Err(err) => failed(format, Open311Error::from(err)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by `params_of`, documented from here
pub struct RequestsParams {
    /// Comma-separated ids; when given, every other parameter is ignored.
    service_request_id: Option<String>,
    /// Comma-separated service codes.
    service_code: Option<String>,
    /// Requested at or after (W3C datetime, e.g. `2026-03-02T08:00:00+07:00`).
    start_date: Option<String>,
    /// Requested at or before; at most 90 days after `start_date`. Without dates: the last 90 days.
    end_date: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    status: Option<String>,
    /// As for the services.
    jurisdiction_id: Option<String>,
}

/// The public reports as service requests, newest first, at most 1,000: by id, or by service, status
/// and dates (the last 90 days by default). Private and withdrawn reports never appear.
#[utoipa::path(get, path = "/open311/v2/requests.{format}", tag = "open311", operation_id = "open311Requests",
    params(("format" = String, Path, description = "`json` or `xml`", example = "json"), RequestsParams),
    responses(
        (status = 200, description = "The requests", content((Vec<ServiceRequest> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "A bad `start_date`, `end_date` or `status`, or dates more than 90 days apart", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Another format, or an unknown `jurisdiction_id`", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn requests(state: web::Data<AppState>, format: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let format = match checked(&state, &format, &req) {
        Ok(format) => format,
        Err((format, err)) => return failed(format, err),
    };
    let search = match RequestSearch::parse(&params_of(&req), chrono::Utc::now().naive_utc()) {
        Ok(search) => search,
        Err(err) => return failed(format, err),
    };
    let public_url = state.settings.public_url.clone();
    match state.db.read(move |conn| service_requests::search(conn, &search, &public_url)).await {
        Ok(found) => ok(format, &found, |r| xml::list("service_requests", r)),
        Err(err) => failed(format, Open311Error::from(err)),
    }
}

/// One public report as a service request: an array of one, as the specification has it.
#[utoipa::path(get, path = "/open311/v2/requests/{service_request_id}.{format}", tag = "open311", operation_id = "open311Request",
    params(
        ("service_request_id" = String, Path, description = "A report's id"),
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
        JurisdictionParam,
    ),
    responses(
        (status = 200, description = "The request, in an array", content((Vec<ServiceRequest> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No public report has this id; another format, or an unknown `jurisdiction_id`", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn request(state: web::Data<AppState>, path: web::Path<(String, String)>, req: HttpRequest) -> HttpResponse {
    let (id, format) = path.into_inner();
    let format = match checked(&state, &format, &req) {
        Ok(format) => format,
        Err((format, err)) => return failed(format, err),
    };
    let (lookup, public_url) = (id.clone(), state.settings.public_url.clone());
    let find = move |conn: &mut DbConnection| service_requests::find(conn, &lookup, &public_url);
    // The application that has just filed it asks for it next: what a lagging replica lacks, the primary has.
    let found = state.db.read_unless_behind(find, |read| matches!(read, Ok(None))).await;
    array_of_one(format, found, format!("service_request_id not found: {id}"))
}

/// The form of `POST requests` (`application/x-www-form-urlencoded`); `api_key` and `jurisdiction_id`
/// may come in the query string instead. Empty values count as absent.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // read by `form_params`, documented from here
pub struct ServiceRequestFields {
    /// The application's key, from the province's administrators.
    api_key: String,
    jurisdiction_id: Option<String>,
    /// A service's code (`GET services`).
    #[schema(example = "drainage_flooding")]
    service_code: String,
    /// Latitude and longitude (WGS 84) inside the provinces the key may file in: required, as this
    /// server cannot locate `address_string` or `address_id`.
    #[schema(example = 11.9404)]
    lat: f64,
    #[schema(example = 108.4583)]
    long: f64,
    /// What the person calls the place, kept with the report (up to 300 characters).
    address_string: Option<String>,
    /// Refused: this server cannot locate it.
    address_id: Option<String>,
    /// `true` for an immediate danger, where the service definition asks.
    #[serde(rename = "attribute[urgent]")]
    attribute_urgent: Option<String>,
    /// 5 to 2000 characters.
    #[schema(example = "Cống trước chợ bị tắc, nước ngập nửa mét.")]
    description: String,
    /// An http(s) link to a photo, kept with the report (not fetched).
    media_url: Option<String>,
    /// When a citizen's account has this email or phone, the request is filed under it.
    email: Option<String>,
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    device_id: Option<String>,
    /// The person's account in the application.
    account_id: Option<String>,
}

/// The query's parameters, then the form's (which win).
fn form_params(req: &HttpRequest, body: &[u8]) -> Result<HashMap<String, String>, Open311Error> {
    let form_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !body.is_empty() && !form_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Open311Error::new(400, "send the request as application/x-www-form-urlencoded"));
    }
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|_| Open311Error::new(400, "the body is not an application/x-www-form-urlencoded form"))?;
    let mut params = params_of(req);
    params.extend(form);
    Ok(params)
}

/// Files a service request with an application's API key: a normal report, routed to the commune's
/// office (or a department) like any other, with channel `open311`. Filed under the citizen whose
/// account has the `email` or `phone` given, else under the application's own account; the contact
/// given is shown to the officials. With the same `Idempotency-Key` (optional), a retry answers the
/// request filed first.
#[utoipa::path(post, path = "/open311/v2/requests.{format}", tag = "open311", operation_id = "open311FileRequest",
    params(
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
        ("Idempotency-Key" = Option<String>, Header, description = "8–128 characters; a retry with the same key and form answers the request filed first"),
    ),
    request_body(content = ServiceRequestFields, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Filed: an array of one `{service_request_id, service_notice, account_id}`", content((Vec<FiledRequest> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "A missing or bad field (`service_code` unknown, no `lat`/`long`, outside the key's provinces, description length, …), or a body that is not a form", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 403, description = "`api_key` missing, unknown or revoked", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Another format, or an unknown `jurisdiction_id`", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
        (status = 429, description = "More requests this minute than the key's limit; with `Retry-After`", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn file_request(
    state: web::Data<AppState>,
    format: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let format = match Format::parse(&format) {
        Ok(format) => format,
        Err(err) => return failed(Format::Json, err),
    };
    let params = match form_params(&req, &body) {
        Ok(params) => params,
        Err(err) => return failed(format, err),
    };
    if let Err(err) = jurisdiction_of(&state, &params) {
        return failed(format, err);
    }
    let Some(presented) = params.get("api_key").map(|k| k.trim().to_string()).filter(|k| !k.is_empty()) else {
        return failed(format, Open311Error::new(403, "api_key not provided"));
    };
    let Ok(idempotency_key) = IdempotencyKey::optional(&req) else {
        return failed(format, Open311Error::new(400, "Idempotency-Key is 8 to 128 visible ASCII characters"));
    };
    let now = state.clock.now();
    let key = match state.db.run(move |conn| keys::authenticate(conn, &presented, now)).await {
        Ok(key) => key,
        Err(AppError::Forbidden) => {
            return failed(format, Open311Error::new(403, "api_key is not valid or was revoked"))
        }
        Err(err) => return failed(format, err.into()),
    };
    let per_minute = u32::try_from(key.rate_limit_per_minute).unwrap_or(1);
    let counted = [Counted::with_limit(Action::Open311, "api_key", key.id.as_str(), per_minute)];
    let wall_clock = chrono::Utc::now().naive_utc();
    let limited = state.db.run(move |conn| limits::count(conn, &counted, wall_clock)).await;
    match limited {
        Ok(()) => {}
        Err(AppError::RateLimited { retry_after_secs }) => {
            let description =
                format!("this API key may make {per_minute} requests a minute; try again in {retry_after_secs} s");
            let mut response = failed(format, Open311Error::new(429, description));
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return response;
        }
        Err(err) => return failed(format, err.into()),
    }
    let form = match ServiceRequestForm::parse(&params, &key) {
        Ok(form) => form,
        Err(err) => return failed(format, err),
    };
    let (area, notifier, boundaries) = (state.settings.service_area.clone(), state.notifier(), state.boundaries());
    let filed = state
        .db
        .run(move |conn| {
            let filing =
                Filing { key: &key, idempotency_key, area: &area, notifier: &notifier, boundaries: &boundaries, now };
            Ok(filing::file(conn, &form, filing))
        })
        .await;
    match filed {
        Ok(Ok(filed)) => ok(format, &[filed], |f| xml::list("service_requests", f)),
        Ok(Err(err)) => failed(format, err),
        Err(err) => failed(format, err.into()),
    }
}

/// The request a token stands for. Filing is immediate, so `POST requests` already answers the id and
/// a token is the request's id; this answers it for requests third-party applications filed.
#[utoipa::path(get, path = "/open311/v2/tokens/{token}.{format}", tag = "open311", operation_id = "open311Token",
    params(
        ("token" = String, Path, description = "The token: a request's id"),
        ("format" = String, Path, description = "`json` or `xml`", example = "json"),
        JurisdictionParam,
    ),
    responses(
        (status = 200, description = "An array of one `{service_request_id, token}`", content((Vec<RequestToken> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No request filed through Open311 has this token; another format, or an unknown `jurisdiction_id`", content((Vec<Open311Error> = "application/json"), (String = "text/xml"))),
    ))]
pub async fn token(state: web::Data<AppState>, path: web::Path<(String, String)>, req: HttpRequest) -> HttpResponse {
    let (token, format) = path.into_inner();
    let format = match checked(&state, &format, &req) {
        Ok(format) => format,
        Err((format, err)) => return failed(format, err),
    };
    let lookup = token.clone();
    let found = state.db.run(move |conn| filing::token(conn, &lookup)).await;
    array_of_one(format, found, format!("token not found: {token}"))
}
