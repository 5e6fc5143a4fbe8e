//! The officials' console at `/console`: a static page and script, embedded in the binary, that call
//! `/api/v1` like any client (`assets`), and the console's own session (`session`): the access token
//! lives in the page's memory only, the refresh token in an `HttpOnly` cookie that only the session
//! endpoints receive. Every console response carries a strict Content-Security-Policy.

mod assets;
pub mod session;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{body::MessageBody, web};

pub use assets::content_security_policy;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(security_headers))
            .configure(session::configure)
            .configure(assets::configure),
    );
}

/// No inline script or style, no framing, no other origin but the map's tiles; nothing cached by
/// proxies; no referrer leaving with a report's address in it.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tiles = req
        .app_data::<web::Data<crate::api::state::AppState>>()
        .map(|state| state.settings.console_map_tiles.clone())
        .unwrap_or_default();
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let csp = content_security_policy(&tiles);
    let set = [
        ("content-security-policy", csp.as_str()),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    for (name, value) in set {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}
