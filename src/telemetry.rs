//! Structured logs: one span per request carrying its request id, which is echoed to the client.
//!
//! Logs carry no personal values: a request is logged by its route pattern and the *names* of its query
//! parameters, never the path's ids or the query's values (positions, phone numbers searched by
//! administrators, onboarding codes).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Ignored when a subscriber is already set (tests start many apps in one process).
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Middleware: returns the request id as `x-request-id`, so a citizen's complaint can be traced in the logs.
pub async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    tracing::debug!("request received");
    let mut res = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// The request's route as registered (`/api/v1/reports/{id}`), or `unmatched`.
fn route(req: &ServiceRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "unmatched".to_string())
}

/// The names of the query's parameters, sorted and once each: `lat,lon` for `?lon=…&lat=…`.
fn query_names(query: &str) -> String {
    let mut names: Vec<String> = form_urlencoded::parse(query.as_bytes()).map(|(name, _)| name.into_owned()).collect();
    names.sort();
    names.dedup();
    names.join(",")
}

/// The request span: method, route pattern, query parameter names, client address, request id and the
/// outcome's status and error code. Replaces tracing-actix-web's default, which logs the full target
/// with its query string and the error's text (which may quote the input).
pub struct PrivateRootSpan;

impl RootSpanBuilder for PrivateRootSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let client_ip = req.connection_info().realip_remote_addr().unwrap_or("").to_string();
        tracing::info_span!(
            "HTTP request",
            http.method = %req.method(),
            http.route = %route(req),
            http.query_params = %query_names(req.query_string()),
            http.client_ip = %client_ip,
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            error.code = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", status.as_u16());
        if let Some(app_error) = error.and_then(|error| error.as_error::<crate::error::AppError>()) {
            span.record("error.code", app_error.code());
        }
        span.in_scope(|| tracing::debug!("request finished"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_query_parameter_names_are_kept() {
        assert_eq!(query_names("near=10.762622,106.660172&radius_m=500&near=1"), "near,radius_m");
        assert_eq!(query_names("q=0987654321&role=official"), "q,role");
        assert_eq!(query_names(""), "");
    }
}
