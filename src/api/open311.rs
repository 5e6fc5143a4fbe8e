//! `/open311/v2/…` (anybody; filing will take an API key): Open311 GeoReport v2 in JSON or XML, chosen by
//! the path's `.json` or `.xml`. Errors are the specification's `[{code, description}]` (XML:
//! `<errors><error>…`), not problem documents.

use actix_web::http::StatusCode;
use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::state::AppState;
use crate::error::AppError;
use crate::open311::requests::{self as service_requests, RequestSearch, ServiceRequest};
use crate::open311::xml::{self, ToXml};
use crate::open311::{self, check_jurisdiction, Discovery, Open311Error, Service, ServiceDefinition};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/open311/v2")
            .service(web::resource("/discovery.{format}").route(web::get().to(discovery)))
            .service(web::resource("/services.{format}").route(web::get().to(services)))
            .service(web::resource("/services/{code}.{format}").route(web::get().to(service_definition)))
            .service(web::resource("/requests.{format}").route(web::get().to(requests)))
            .service(web::resource("/requests/{id}.{format}").route(web::get().to(request)))
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

/// Our own errors (the database away, …) told the Open311 way.
fn from_app(err: AppError) -> Open311Error {
    let status = actix_web::ResponseError::status_code(&err).as_u16();
    Open311Error::new(status, err.to_string())
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
    let configured = state.settings.open311_jurisdiction_id.as_deref();
    let params = params_of(req);
    check_jurisdiction(params.get("jurisdiction_id").map(String::as_str), &state.settings.service_area, configured)
        .map_err(|err| (format, err))?;
    Ok(format)
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
    match state.db.run(open311::services).await {
        Ok(services) => ok(format, &services, |s| xml::list("services", s)),
        Err(err) => failed(format, from_app(err)),
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
    match state.db.run(move |conn| open311::service_definition(conn, &lookup)).await {
        Ok(Some(definition)) => ok(format, &definition, |d| xml::document(&d.to_xml())),
        Ok(None) => failed(format, Open311Error::new(404, format!("service_code not found: {code}"))),
        Err(err) => failed(format, from_app(err)),
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
    match state.db.run(move |conn| service_requests::search(conn, &search, &public_url)).await {
        Ok(found) => ok(format, &found, |r| xml::list("service_requests", r)),
        Err(err) => failed(format, from_app(err)),
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
    match state.db.run(move |conn| service_requests::find(conn, &lookup, &public_url)).await {
        Ok(Some(found)) => ok(format, &[found], |r| xml::list("service_requests", r)),
        Ok(None) => failed(format, Open311Error::new(404, format!("service_request_id not found: {id}"))),
        Err(err) => failed(format, from_app(err)),
    }
}
