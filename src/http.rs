//! HTTP helpers shared by every domain's routes: the strict JSON body extractor and cached responses.

use std::future::{ready, Future};
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::limits::JSON_LIMIT;

/// A JSON request body. Unlike `web::Json`, errors name the failing field (`position.lat`) and
/// become our own problem codes.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|ct| ct.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .map(|mime| mime.trim().to_ascii_lowercase())
            .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
        if !is_json {
            return Box::pin(ready(Err(AppError::UnsupportedMediaType)));
        }
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|err| match err.as_error::<actix_web::error::PayloadError>() {
                Some(actix_web::error::PayloadError::Overflow) => AppError::PayloadTooLarge { limit: JSON_LIMIT },
                _ => AppError::MalformedJson(err.to_string()),
            })?;
            parse_json(&body).map(Json)
        })
    }
}

/// Query parameters. Unlike `web::Query`, errors name the parameter (`limit`), and control
/// characters are refused before any value reaches a handler.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T`, with field errors named after the parameters.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let pairs = || form_urlencoded::parse(query.as_bytes());
    if let Some((name, _)) = pairs().find(|(name, value)| has_control_characters(name) || has_control_characters(value))
    {
        return Err(AppError::invalid(name.escape_default().to_string(), FieldIssue::ControlCharacter));
    }
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs())).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        if let Some(name) = quoted_after(&message, "unknown field `") {
            AppError::invalid(name, FieldIssue::UnknownField)
        } else if let Some(name) = quoted_after(&message, "missing field `") {
            AppError::invalid(name, FieldIssue::Required)
        } else {
            let field = if path == "." { "query".to_string() } else { path };
            AppError::invalid(field, FieldIssue::InvalidValue(in_plain_words(&message)))
        }
    })
}

/// Path parameters. A segment no id or code can hold (a control character, or one that does not parse
/// as `T`) names nothing: 404, before any database sees it.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T> Path<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Path<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Path<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.match_info().iter().any(|(_, segment)| has_control_characters(segment)) {
            return ready(Err(AppError::RouteNotFound));
        }
        let parsed = actix_web::web::Path::<T>::from_request(req, payload).into_inner();
        ready(parsed.map(|path| Path(path.into_inner())).map_err(|_| AppError::RouteNotFound))
    }
}

/// Parses a JSON document, turning serde's errors into field errors the app can show next to the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if let Some(field) = json_field_with_control_characters(body) {
        return Err(AppError::invalid(field, FieldIssue::ControlCharacter));
    }
    // Every body the API takes is an object; serde's derived structs would also take an array of
    // their fields in order (`[null, null]` as "nothing to change").
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::invalid("body", FieldIssue::InvalidValue("expected a JSON object".into())));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if !inner.is_data() {
            return AppError::MalformedJson(inner.to_string());
        }
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        let in_path = |name: &str| match path.as_str() {
            "." => name.to_string(),
            p if p == name || p.ends_with(&format!(".{name}")) => p.to_string(),
            p => format!("{p}.{name}"),
        };
        if let Some(name) = quoted_after(message, "unknown field `") {
            AppError::invalid(in_path(&name), FieldIssue::UnknownField)
        } else if let Some(name) = quoted_after(message, "missing field `") {
            AppError::invalid(in_path(&name), FieldIssue::Required)
        } else {
            let field = if path == "." { "body".to_string() } else { path };
            AppError::invalid(field, FieldIssue::InvalidValue(in_plain_words(message)))
        }
    })
}

/// Text a person could have typed: no NUL nor any other control character, tab and line breaks aside.
/// PostgreSQL refuses NUL in text and SQLite would keep it: both are refused here, before any database.
pub fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The path of the first string (or key) of a JSON document that holds a control character.
fn json_field_with_control_characters(body: &[u8]) -> Option<String> {
    // Control characters reach a JSON string only escaped (`\u0000`) or as raw DEL and C1 bytes
    // (C1 is 0xC2 0x80–0x9F in UTF-8): most bodies need no second look.
    let suspicious = body.windows(2).any(|w| w == b"\\u") || body.iter().any(|&b| b == 0x7F || b == 0xC2);
    if !suspicious {
        return None;
    }
    fn find(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::String(text) => has_control_characters(text).then(|| path.to_string()),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, item)| find(item, &format!("{path}[{i}]")))
            }
            serde_json::Value::Object(fields) => fields.iter().find_map(|(name, value)| {
                let path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                if has_control_characters(name) {
                    Some(path.escape_default().to_string())
                } else {
                    find(value, &path)
                }
            }),
            _ => None,
        }
    }
    let document: serde_json::Value = serde_json::from_slice(body).ok()?;
    find(&document, "").map(|path| if path.is_empty() { "body".into() } else { path })
}

/// serde names what it expected by its Rust type (`struct LoginRequest`, `u32`); a client reads JSON.
fn in_plain_words(message: &str) -> String {
    let Some((head, expected)) = message.rsplit_once("expected ") else { return message.to_string() };
    let plain = match expected.split_whitespace().next().unwrap_or_default() {
        "struct" | "map" => "a JSON object",
        "enum" => "one of the allowed values",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "tuple" => "a list",
        _ => return message.to_string(),
    };
    format!("{head}expected {plain}")
}

/// serde writes names as "unknown field `x`, expected …"; the name is what the client needs.
pub fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    Some(rest.split('`').next()?.to_string())
}

/// A JSON response the app may cache: a weak ETag over the body, and 304 when the app already has it.
pub fn cacheable_json<T: Serialize>(req: &HttpRequest, value: &T) -> Result<HttpResponse, AppError> {
    let (body, etag) = tagged_json(value)?;
    Ok(cacheable(req, body, &etag))
}

/// `value` as JSON with its entity tag.
fn tagged_json<T: Serialize>(value: &T) -> Result<(Bytes, String), AppError> {
    let body = serde_json::to_vec(value).map_err(|err| AppError::Internal(format!("serialize: {err}")))?;
    let digest = Sha256::digest(&body);
    let etag = format!("W/\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
    Ok((Bytes::from(body), etag))
}

/// `body` (JSON) with its entity tag, or 304 when the client's copy has that tag.
fn cacheable(req: &HttpRequest, body: Bytes, etag: &str) -> HttpResponse {
    let cache_control = (header::CACHE_CONTROL, "public, max-age=300");
    let already_has_it = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').map(str::trim).any(|tag| tag == "*" || same_entity(tag, etag)));
    if already_has_it {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag)).insert_header(cache_control).finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header(cache_control)
        .body(body)
}

/// A JSON answer of reference data kept in memory for a while, so that each request does not read the
/// database. The instance that changes the data forgets its copy at once; another instance serves its own
/// copy until it is `ttl` old.
pub struct KeptJson {
    ttl: std::time::Duration,
    kept: std::sync::Mutex<Option<(std::time::Instant, Bytes, String)>>,
}

impl KeptJson {
    pub fn new(ttl: std::time::Duration) -> Self {
        KeptJson { ttl, kept: std::sync::Mutex::new(None) }
    }

    /// The kept answer while it is fresh, else `load`'s (kept from now on).
    pub async fn respond<T, F>(&self, req: &HttpRequest, load: F) -> Result<HttpResponse, AppError>
    where
        T: Serialize,
        F: Future<Output = Result<T, AppError>>,
    {
        let fresh = self.lock().as_ref().filter(|(at, _, _)| at.elapsed() < self.ttl).cloned();
        let (body, etag) = match fresh {
            Some((_, body, etag)) => (body, etag),
            None => {
                let (body, etag) = tagged_json(&load.await?)?;
                *self.lock() = Some((std::time::Instant::now(), body.clone(), etag.clone()));
                (body, etag)
            }
        };
        Ok(cacheable(req, body, &etag))
    }

    /// Drops the kept answer, after a change.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(std::time::Instant, Bytes, String)>> {
        self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// If-None-Match uses weak comparison: `W/"x"` and `"x"` name the same entity.
fn same_entity(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        position: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        lat: f64,
        lon: f64,
    }

    fn field_errors(body: &str) -> Vec<(String, FieldIssue)> {
        match parse_json::<Outer>(body.as_bytes()) {
            Err(AppError::Validation(fields)) => fields.into_iter().map(|f| (f.field, f.issue)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field_path() {
        assert_eq!(
            field_errors(r#"{"position":{"lat":1,"lon":2,"alt":3}}"#),
            [("position.alt".into(), FieldIssue::UnknownField)]
        );
        assert_eq!(field_errors(r#"{"position":{"lat":1}}"#), [("position.lon".into(), FieldIssue::Required)]);
        assert_eq!(field_errors(r#"{}"#), [("position".into(), FieldIssue::Required)]);
        let errors = field_errors(r#"{"position":{"lat":"x","lon":2}}"#);
        assert_eq!(errors[0].0, "position.lat");
        assert!(matches!(errors[0].1, FieldIssue::InvalidValue(_)));
    }

    #[test]
    fn broken_json_is_malformed_not_invalid() {
        assert!(matches!(parse_json::<Outer>(b"{\"position\": "), Err(AppError::MalformedJson(_))));
        assert!(matches!(parse_json::<Outer>(b"nope"), Err(AppError::MalformedJson(_))));
    }

    #[test]
    fn weak_and_strong_tags_compare_equal() {
        assert!(same_entity("\"abc\"", "W/\"abc\""));
        assert!(!same_entity("\"abc\"", "W/\"abd\""));
    }
}

/// An `Idempotency-Key`: 8 to 128 visible ASCII characters (a UUID is typical). A request retried with
/// the same key gets the first answer instead of a second result.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "Idempotency-Key";

    /// The key of a request that requires one (`idempotency_key_required` when absent or malformed).
    pub fn required(req: &HttpRequest) -> Result<Self, AppError> {
        Self::optional(req)?.ok_or(AppError::IdempotencyKeyRequired)
    }

    /// The key of a request that may carry one; a malformed key is refused all the same.
    pub fn optional(req: &HttpRequest) -> Result<Option<Self>, AppError> {
        let Some(raw) = req.headers().get(Self::HEADER) else { return Ok(None) };
        let raw = raw.to_str().map_err(|_| AppError::IdempotencyKeyRequired)?.trim();
        let ok = (8..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Some(IdempotencyKey(raw.to_string()))).ok_or(AppError::IdempotencyKeyRequired)
    }

    /// A key of its own, for a request whose client sent none (each such request is a new one).
    pub fn fresh() -> Self {
        IdempotencyKey(uuid::Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fingerprint of a request body, to tell a retry from another request under the same key.
pub fn request_hash<T: Serialize>(body: &T) -> Result<String, AppError> {
    let bytes = serde_json::to_vec(body).map_err(|err| AppError::Internal(format!("hashing the request: {err}")))?;
    Ok(Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// How many items a list gives per page: `default` when `limit` is absent, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    pub default: u32,
    pub max: u32,
}

/// A page's `limit`: `size.default` when absent, refused outside 1 to `size.max`.
pub fn page_limit(limit: Option<u32>, size: PageSize, errors: &mut FieldErrors) -> i64 {
    let limit = limit.unwrap_or(size.default);
    if !(1..=size.max).contains(&limit) {
        errors.add("limit", FieldIssue::OutOfRange { min: 1.0, max: f64::from(size.max) });
    }
    limit.into()
}

/// Lists keyed by (time-ordered) ids continue after an id: anything else is not one of their cursors.
pub fn check_id_cursor(cursor: Option<&str>, errors: &mut FieldErrors) {
    if cursor.is_some_and(|c| uuid::Uuid::parse_str(c).is_err()) {
        errors.add("cursor", FieldIssue::InvalidValue("not a cursor from this list".into()));
    }
}

/// A page of a list: `next_cursor` is passed back as `?cursor=` for the next page, null on the last.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T: utoipa::ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: utoipa::ToSchema> Page<T> {
    /// A page from rows fetched with `LIMIT limit + 1`: the extra row only tells that more follow, and
    /// the cursor is the key of the last row shown.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> String,
        view: impl Fn(&R) -> Result<T, AppError>,
    ) -> Result<Self, AppError> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more { rows.last().map(&key) } else { None };
        Ok(Page { items: rows.iter().map(view).collect::<Result<_, _>>()?, next_cursor })
    }
}

/// Middleware: `HEAD` is answered as `GET` would be, without the body (RFC 9110 §9.3.2), so routes are
/// registered for GET only. actix's HTTP/1 codec remembers the request was HEAD and sends no body.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
