//! The API contract, generated from the handlers' annotations; `api-spec/openapi.yaml` is its committed copy.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "congdanso API",
        description = "Backend of a provincial citizen–government app. Errors are `application/problem+json` \
            with a stable `code`; messages are Vietnamese unless `Accept-Language` prefers English.",
        license(name = "MIT"),
    ),
    paths(
        crate::api::units::list,
        crate::api::units::get,
        crate::api::units::locate,
        crate::api::units::import_boundaries,
        crate::api::categories::list,
        crate::api::categories::put_deadlines,
        crate::api::calendar::get_year,
        crate::api::calendar::put_day,
        crate::api::auth::register,
        crate::api::auth::log_in,
        crate::api::auth::refresh,
        crate::api::auth::log_out,
        crate::api::auth::log_out_everywhere,
        crate::api::auth::verify_email,
        crate::api::auth::forgot_password,
        crate::api::auth::reset_password,
        crate::api::accounts::get_me,
        crate::api::accounts::update_me,
        crate::api::accounts::export_me,
        crate::api::accounts::delete_me,
        crate::api::accounts::admin_create_user,
        crate::api::accounts::admin_list_users,
        crate::api::accounts::admin_update_user,
        crate::api::reports::file,
        crate::api::reports::get,
        crate::api::reports::list,
        crate::api::reports::mine,
        crate::api::reports::similar,
        crate::api::reports::heatmap,
        crate::api::reports::support,
        crate::api::reports::unsupport,
        crate::api::reports::withdraw,
        crate::api::reports::add_photos,
        crate::api::reports::rate,
        crate::api::reports::reopen,
        crate::api::reports::answer,
        crate::api::media::upload,
        crate::api::media::original,
        crate::api::media::thumbnail,
        crate::api::organizations::create_organization,
        crate::api::organizations::list_organizations,
        crate::api::organizations::add,
        crate::api::organizations::remove,
        crate::api::organizations::put_office_hours,
        crate::api::organizations::put_rule,
        crate::api::workflow::list,
        crate::api::workflow::get,
        crate::api::workflow::act,
        crate::api::workflow::reveal_reporter,
        crate::api::open311::discovery,
        crate::api::open311::services,
        crate::api::open311::service_definition,
        crate::api::open311::requests,
        crate::api::open311::request,
        crate::api::open311::file_request,
        crate::api::open311::token,
        crate::api::api_keys::create,
        crate::api::api_keys::list,
        crate::api::api_keys::revoke,
        crate::api::stats::get_stats,
        crate::api::stats::get_adoption,
        crate::api::stats::put_population,
        crate::api::stats::get_heatmap,
        crate::api::notifications::list,
        crate::api::notifications::read,
        crate::api::notifications::read_all,
        crate::api::devices::register,
        crate::api::devices::remove,
        crate::api::devices::list,
        crate::api::notification_settings::get,
        crate::api::notification_settings::update,
        crate::console::session::log_in,
        crate::console::session::refresh,
        crate::console::session::log_out,
        crate::api::onboarding::create,
        crate::api::onboarding::list,
        crate::api::onboarding::get,
        crate::api::onboarding::update,
        crate::api::onboarding::close,
        crate::api::onboarding::add_agent,
        crate::api::onboarding::agents,
        crate::api::onboarding::update_agent,
        crate::api::onboarding::qr_svg,
        crate::api::onboarding::qr_png,
        crate::api::onboarding::poster,
        crate::api::onboarding::campaign_stats,
        crate::api::onboarding::province_stats,
        crate::api::onboarding::my_agents,
        crate::api::onboarding::resolve,
        crate::api::onboarding::credit_me,
        crate::api::onboarding::assisted_sign_up,
        crate::api::onboarding::resend_activation,
        crate::api::onboarding::activate,
        crate::api::open_data::export,
        crate::api::health::live,
        crate::api::health::ready,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField)),
    modifiers(&BearerAuth, &CommonErrors, &ProblemBodies, &Links, &PageItemsByRef, &UuidIds, &Constraints, &Enums),
    tags(
        (name = "auth", description = "Sign-up, log-in, tokens, email verification, password reset"),
        (name = "me", description = "The signed-in person's own account and data"),
        (name = "console", description = "The officials' console's own session (`/console`): the refresh token in an HttpOnly cookie"),
        (name = "admin", description = "Administration (role `admin`)"),
        (name = "officials", description = "The officials' inbox, scoped to their organizations"),
        (name = "media", description = "Photos: uploaded first, attached to a report by id"),
        (name = "reports", description = "Feedback reports: filing, reading, lists by place, support, withdrawal"),
        (name = "onboarding", description = "QR-code onboarding drives: campaigns, volunteers' signed codes, QR codes and posters, assisted sign-up, tallies"),
        (name = "notifications", description = "News of the reports one filed or supports, in-app (and by mail when the email is verified)"),
        (name = "units", description = "Administrative units: 34 provinces and 3,321 communes, wards and special zones"),
        (name = "categories", description = "Report categories"),
        (name = "calendar", description = "The working calendar: holidays, compensatory days and announced changes"),
        (name = "open data", description = "The public reports, anonymized, for anyone to reuse under the province's licence"),
        (name = "health", description = "Liveness and readiness for orchestrators"),
    ),
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the protected operations name: a JWT from log-in or refresh.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every operation of a path (the methods this API uses).
fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
}

/// Gives every error response (status 4xx or 5xx, declared without a body by an annotation or by
/// `CommonErrors`) the `application/problem+json` body, so each declaration names only its codes.
struct ProblemBodies;

impl utoipa::Modify for ProblemBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::ArrayBuilder;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let open311 = path.starts_with("/open311/");
            for operation in operations_mut(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    if (status.starts_with('4') || status.starts_with('5')) && response.content.is_empty() {
                        if open311 {
                            // Open311's errors are its specification's `[{code, description}]`.
                            let errors = ArrayBuilder::new().items(Ref::from_schema_name("Open311Error"));
                            let body = ContentBuilder::new().schema(Some(errors)).build();
                            response.content.insert("application/json".into(), body);
                            continue;
                        }
                        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
                        response.content.insert(crate::error::PROBLEM_JSON.into(), body);
                    }
                }
            }
        }
    }
}

/// Adds the errors any operation can meet, so each annotation lists only its own: every JSON body can be
/// malformed, too large or of the wrong type; every body, path and query can fail validation; every
/// operation that takes a token can be sent an invalid one (also where the token is optional: a bad
/// token is 401 so the app knows to refresh, never silently ignored) or the token of a deactivated
/// account; every operation but liveness needs the database.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{RefOr, ResponseBuilder};
        // The body comes from `ProblemBodies`, which runs after this.
        let problem = |description: &str| RefOr::T(ResponseBuilder::new().description(description).build());
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in operations_mut(item) {
                let has = |place: ParameterIn| operation.parameters.iter().flatten().any(|p| p.parameter_in == place);
                let (validated, has_path) =
                    (operation.request_body.is_some() || has(ParameterIn::Query), has(ParameterIn::Path));
                let (takes_token, token_optional) = security_of(operation);
                let responses = &mut operation.responses.responses;
                if path.starts_with("/open311/") {
                    // Open311 reads its parameters leniently and answers its own errors; only the
                    // database can fail it.
                    responses.entry("503".into()).or_insert_with(|| problem("The database is unavailable"));
                    continue;
                }
                if operation.request_body.is_some() {
                    responses.entry("400".into()).or_insert_with(|| problem("`malformed_json`: the body is not JSON"));
                    responses
                        .entry("413".into())
                        .or_insert_with(|| problem("`payload_too_large`: the body is over 64 KiB"));
                    responses
                        .entry("415".into())
                        .or_insert_with(|| problem("`unsupported_media_type`: the body is not `application/json`"));
                }
                if takes_token {
                    responses.entry("401".into()).or_insert_with(|| {
                        problem(if token_optional {
                            "`unauthenticated` or `token_expired`: a token was sent and is not valid; refresh it \
                             (without a token the answer is the one anybody gets)"
                        } else {
                            "`unauthenticated` or `token_expired`"
                        })
                    });
                    append_or_insert(responses, "403", "`account_disabled`: the account was deactivated", &problem);
                }
                if has_path {
                    const NO_ROUTE: &str = "`route_not_found`: a path segment no id or code can hold";
                    append_or_insert(responses, "404", NO_ROUTE, &problem);
                }
                if validated {
                    responses
                        .entry("422".into())
                        .or_insert_with(|| problem("`validation_failed`: the fields are named in `errors`"));
                }
                if path != "/health/live" {
                    responses
                        .entry("503".into())
                        .or_insert_with(|| problem("`database_unavailable`: try again after `Retry-After` seconds"));
                }
            }
        }
    }
}

/// Documents the error `description` under `status`: a response of its own, or added to the one there.
fn append_or_insert(
    responses: &mut std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>>,
    status: &str,
    description: &str,
    problem: &dyn Fn(&str) -> utoipa::openapi::RefOr<utoipa::openapi::Response>,
) {
    use utoipa::openapi::RefOr;
    let code = description.split('`').nth(1).unwrap_or(description);
    match responses.entry(status.into()).or_insert_with(|| problem(description)) {
        RefOr::T(response) if !response.description.contains(code) => {
            response.description = format!("{}; {description}", response.description);
        }
        _ => {}
    }
}

/// Whether an operation takes a bearer token, and whether it also answers without one.
fn security_of(operation: &utoipa::openapi::path::Operation) -> (bool, bool) {
    let requirements: Vec<serde_json::Value> =
        operation.security.iter().flatten().filter_map(|r| serde_json::to_value(r).ok()).collect();
    let empty = |r: &serde_json::Value| r.as_object().is_some_and(|o| o.is_empty());
    (requirements.iter().any(|r| !empty(r)), requirements.iter().any(empty))
}

/// Makes the items of each `Page_X` a `$ref` to `X`: utoipa inlines a generic's type argument, which would
/// give a generated client a second type (`PageReportItemsItem`) beside `Report` for the same object.
struct PageItemsByRef;

impl utoipa::Modify for PageItemsByRef {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ArrayItems, Schema};
        use utoipa::openapi::{Ref, RefOr};
        let Some(components) = openapi.components.as_mut() else { return };
        let mut named = Vec::new();
        for (name, page) in components.schemas.iter_mut() {
            let Some(item_name) = name.strip_prefix("Page_") else { continue };
            let RefOr::T(Schema::Object(page)) = page else { continue };
            let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") else { continue };
            let ArrayItems::RefOrSchema(item) = &mut items.items else { continue };
            let inline = std::mem::replace(item.as_mut(), RefOr::Ref(Ref::from_schema_name(item_name)));
            if let RefOr::T(schema) = inline {
                named.push((item_name.to_string(), schema));
            }
        }
        for (name, schema) in named {
            components.schemas.entry(name).or_insert(RefOr::T(schema));
        }
    }
}

/// Gives every id `format: uuid` (all ids are UUIDs: v7 for rows, v4 for idempotency keys), so generated
/// clients type them: properties and parameters named `id`, `…_id`, `duplicate_of`, and the items of `…_ids`.
struct UuidIds;

fn is_id(name: &str) -> bool {
    name == "id" || name.ends_with("_id") || name == "duplicate_of"
}

impl utoipa::Modify for UuidIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for schema in openapi.components.iter_mut().flat_map(|c| c.schemas.values_mut()) {
            uuid_ids(schema);
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                for parameter in operation.parameters.iter_mut().flatten().filter(|p| is_id(&p.name)) {
                    parameter.schema.iter_mut().for_each(set_uuid);
                }
            }
        }
    }
}

/// Marks the ids among the properties of `schema` and of the schemas inside it.
fn uuid_ids(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    use utoipa::openapi::RefOr;
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            for (name, property) in object.properties.iter_mut() {
                if is_id(name) {
                    set_uuid(property);
                } else if name.ends_with("_ids") {
                    if let RefOr::T(Schema::Array(array)) = property {
                        if let ArrayItems::RefOrSchema(item) = &mut array.items {
                            set_uuid(item);
                        }
                    }
                }
                uuid_ids(property);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(item) = &mut array.items {
                uuid_ids(item);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(uuid_ids),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(uuid_ids),
        _ => {}
    }
}

fn set_uuid(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>) {
    use utoipa::openapi::schema::{KnownFormat, Schema, SchemaFormat};
    use utoipa::openapi::RefOr;
    match schema {
        RefOr::T(Schema::Object(object)) => object.format = Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)),
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter_mut().for_each(set_uuid),
        _ => {}
    }
}

/// The limits the parsing code enforces, written into the schemas from the same constants, so a client
/// (and Schemathesis) knows them: string lengths, ranges, page sizes, patterns, the consent that must be
/// `true`. A length the server counts after trimming (or collapsing whitespace) is the schema's
/// `maxLength` too: a client that keeps to it is never refused for length.
struct Constraints;

/// What one property or parameter must satisfy.
#[derive(Default, Clone)]
struct Limits {
    min_length: Option<usize>,
    max_length: Option<usize>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    max_items: Option<usize>,
    pattern: Option<&'static str>,
    default: Option<serde_json::Value>,
}

/// Characters a Vietnamese mobile number may be written with (`0912 345 678`, `+84 (912) 345.678`):
/// deliberately loose, the server says which numbers it takes (see `values::phone`).
const PHONE_PATTERN: &str = r"^[\s0-9+.()-]*$";

impl Limits {
    fn chars(min: usize, max: usize) -> Self {
        Limits { min_length: Some(min), max_length: Some(max), ..Default::default() }
    }
    fn at_most(max: usize) -> Self {
        Limits { max_length: Some(max), ..Default::default() }
    }
    fn range(min: f64, max: f64) -> Self {
        Limits { minimum: Some(min), maximum: Some(max), ..Default::default() }
    }
    fn items(max: usize) -> Self {
        Limits { max_items: Some(max), ..Default::default() }
    }
    fn page(size: crate::http::PageSize) -> Self {
        Limits { default: Some(size.default.into()), ..Self::range(1.0, size.max.into()) }
    }

    fn apply(&self, schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        match schema {
            RefOr::T(Schema::Object(object)) => {
                object.min_length = self.min_length.or(object.min_length);
                object.max_length = self.max_length.or(object.max_length);
                object.minimum = self.minimum.map(Into::into).or(object.minimum.take());
                object.maximum = self.maximum.map(Into::into).or(object.maximum.take());
                object.default = self.default.clone().or(object.default.take());
                if let Some(pattern) = self.pattern {
                    object.pattern = Some(pattern.into());
                }
            }
            RefOr::T(Schema::Array(array)) => array.max_items = self.max_items.or(array.max_items),
            RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter_mut().for_each(|item| self.apply(item)),
            _ => {}
        }
    }
}

impl utoipa::Modify for Constraints {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::api::reports;
        use crate::auth::password::{MAX_CHARS, MIN_CHARS};
        use crate::calendar::store as day;
        use crate::onboarding::store as campaigns;
        use serde_json::json;
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        let password = Limits::chars(MIN_CHARS, MAX_CHARS);
        let full_name = Limits::chars(1, crate::accounts::FullName::MAX_CHARS);
        let description = crate::reports::DESCRIPTION_CHARS;
        let campaign_name = Limits::chars(campaigns::NAME_CHARS.0, campaigns::NAME_CHARS.1);
        let signups = Limits::range(1.0, campaigns::MOST_SIGNUPS.into());
        let photos = Limits::items(crate::reports::MAX_MEDIA);
        let reveal = crate::workflow::RevealReason::MIN_CHARS..=crate::workflow::RevealReason::MAX_CHARS;
        let reopen = reports::REOPEN_REASON_CHARS;
        let score = reports::RATING_SCORES;
        let whole =
            |range: std::ops::RangeInclusive<i32>| Limits::range((*range.start()).into(), (*range.end()).into());
        let properties = [
            ("RegisterRequest", "password", password.clone()),
            ("ResetPasswordRequest", "new_password", password.clone()),
            ("ActivateRequest", "password", password.clone()),
            ("CreateUserRequest", "password", password),
            ("LoginRequest", "login", Limits::at_most(crate::accounts::Login::MAX_CHARS)),
            ("RegisterRequest", "full_name", full_name.clone()),
            ("UpdateMeRequest", "full_name", full_name.clone()),
            ("CreateUserRequest", "full_name", full_name.clone()),
            ("AssistedSignUpRequest", "full_name", full_name),
            ("RegisterRequest", "onboarding_code", Limits::at_most(crate::accounts::register::ONBOARDING_CODE_CHARS)),
            ("NewReportRequest", "description", Limits::chars(*description.start(), *description.end())),
            ("NewReportRequest", "address_text", Limits::at_most(crate::reports::ADDRESS_CHARS)),
            ("NewReportRequest", "media_ids", photos.clone()),
            ("ReportPosition", "accuracy_m", Limits::range(0.0, crate::reports::MAX_ACCURACY_M)),
            ("AddPhotosRequest", "media_ids", photos.clone()),
            ("RatingRequest", "score", Limits::range((*score.start()).into(), (*score.end()).into())),
            ("RatingRequest", "comment", Limits::at_most(reports::COMMENT_CHARS)),
            ("ReopenRequest", "reason", Limits::chars(*reopen.start(), *reopen.end())),
            ("AnswerRequest", "note", Limits::chars(1, crate::workflow::actions::NOTE_CHARS)),
            ("DeadlinesRequest", "accept_working_hours", whole(crate::categories::ACCEPT_HOURS)),
            ("DeadlinesRequest", "resolve_working_days", whole(crate::categories::RESOLVE_DAYS)),
            ("DeadlinesRequest", "max_resolve_working_days", whole(crate::categories::MAX_RESOLVE_DAYS)),
            ("DeadlinesRequest", "urgent_hours", whole(crate::categories::URGENT_HOURS)),
            ("ActionRequest", "note", Limits::at_most(crate::workflow::actions::NOTE_CHARS)),
            ("ActionRequest", "media_ids", photos),
            ("RevealRequest", "reason", Limits::chars(*reveal.start(), *reveal.end())),
            (
                "NewOrganizationRequest",
                "name",
                Limits::chars(1, crate::api::organizations::NewOrganizationRequest::NAME_CHARS),
            ),
            ("NewCampaignRequest", "name", campaign_name.clone()),
            ("CampaignChanges", "name", campaign_name),
            ("NewCampaignRequest", "target_signups", signups.clone()),
            ("CampaignChanges", "target_signups", signups),
            ("NewAgentRequest", "display_name", Limits::chars(1, campaigns::DISPLAY_NAME_CHARS)),
            ("CalendarDayRequest", "name", Limits::chars(*day::NAME_CHARS.start(), *day::NAME_CHARS.end())),
            ("CalendarDayRequest", "notice", Limits::chars(*day::NOTICE_CHARS.start(), *day::NOTICE_CHARS.end())),
            ("CalendarDayRequest", "reason", Limits::chars(*day::REASON_CHARS.start(), *day::REASON_CHARS.end())),
        ];
        let Some(components) = openapi.components.as_mut() else { return };
        for (schema, property, limits) in properties {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
                panic!("no schema {schema} to constrain")
            };
            let Some(property) = object.properties.get_mut(property) else { panic!("no {schema}.{property}") };
            limits.apply(property);
        }
        // Everywhere: positions, phone numbers, the consent.
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            for (name, property) in object.properties.iter_mut() {
                match name.as_str() {
                    "lat" => Limits::range(-90.0, 90.0).apply(property),
                    "lon" => Limits::range(-180.0, 180.0).apply(property),
                    "phone" => Limits { pattern: Some(PHONE_PATTERN), ..Default::default() }.apply(property),
                    "consent" => {
                        if let RefOr::T(Schema::Object(consent)) = property {
                            consent.extensions.get_or_insert_with(Default::default).insert("const".into(), json!(true));
                        }
                    }
                    _ => {}
                }
            }
        }
        // Parameters: each list's page size, a radius of at least a metre, idempotency keys, QR sizes.
        let pages = [
            ("listReports", reports::PAGE),
            ("myReports", reports::PAGE),
            ("inbox", crate::api::workflow::PAGE),
            ("myNotifications", crate::api::notifications::PAGE),
            ("listCampaigns", crate::api::onboarding::PAGE),
            ("adminListUsers", crate::accounts::admin::PAGE),
            ("listUnits", crate::api::units::PAGE),
        ];
        let idempotency_key = Limits { pattern: Some("^[!-~]{8,128}$"), ..Default::default() };
        let (smallest, largest) = crate::onboarding::qr::PNG_SIZES;
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                for parameter in operation.parameters.iter_mut().flatten() {
                    let limits = match (id.as_str(), parameter.name.as_str()) {
                        (_, "limit") => match pages.iter().find(|(list, _)| *list == id) {
                            Some((_, size)) => Limits::page(*size),
                            None => panic!("{id} takes a `limit`: add its page size to `pages`"),
                        },
                        ("listUnits", "q") => Limits::at_most(crate::api::units::MAX_QUERY_CHARS),
                        ("agentQrPng", "size") => Limits::range(smallest.into(), largest.into()),
                        ("getCalendar", "year") => {
                            Limits::range((*day::YEARS.start()).into(), (*day::YEARS.end()).into())
                        }
                        (_, "radius_m") => Limits::range(1.0, reports::MAX_RADIUS_M),
                        (_, "lat") => Limits::range(-90.0, 90.0),
                        (_, "lon") => Limits::range(-180.0, 180.0),
                        (_, "Idempotency-Key") => idempotency_key.clone(),
                        _ => continue,
                    };
                    parameter.schema.iter_mut().for_each(|schema| limits.apply(schema));
                }
            }
        }
    }
}

/// The fixed lists the server parses with, as named enums, so a generated client has a type for each:
/// the values come from the same constants as the parsers' (an enum the code also derives, such as
/// `Role`, is checked against its constant by a test).
struct Enums;

/// Each named enum: its name, description and values.
fn named_enums() -> [(&'static str, &'static str, &'static [&'static str]); 10] {
    [
        (
            "Role",
            "What an account may do; administrators give any but `application` (a third-party application's)",
            crate::accounts::Role::NAMES,
        ),
        ("Locale", "The language of messages, mail and texts", crate::accounts::LOCALES),
        (
            "OrganizationKind",
            "What kind of organization handles reports",
            crate::organizations::OrganizationKind::NAMES,
        ),
        ("ReportStatus", "Where a report is in its handling", crate::reports::ReportStatus::NAMES),
        ("WorkflowAction", "What an official does to a report", crate::workflow::actions::ACTIONS),
        ("RejectReason", "Why a report is rejected", crate::workflow::actions::REJECT_REASONS),
        ("StatsFormat", "What a campaign's tallies come as", crate::api::onboarding::STATS_FORMATS),
        (
            "AssigneeWord",
            "The inbox's reports assigned to the caller (`me`) or to nobody (`none`)",
            crate::api::workflow::ASSIGNEE_WORDS,
        ),
        ("OpenDataFormat", "The file an open-data export comes as", crate::open_data::formats::Format::EXTENSIONS),
        (
            "ReviewFilter",
            "The IOC's review queue: reports rated 1 or 2, not yet reviewed",
            crate::api::workflow::REVIEW_WORDS,
        ),
    ]
}

impl utoipa::Modify for Enums {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, description, values) in named_enums() {
            let derived = components.schemas.get(name).and_then(|schema| match schema {
                RefOr::T(Schema::Object(object)) => object.description.clone(),
                _ => None,
            });
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(derived.unwrap_or_else(|| description.to_string())))
                .enum_values(Some(values.iter().copied()));
            components.schemas.insert(name.to_string(), schema.into());
        }
        // Request fields the server reads as text and parses against a list.
        let properties = [
            ("ActionRequest", "action", "WorkflowAction"),
            ("ActionRequest", "reason", "RejectReason"),
            ("CreateUserRequest", "role", "Role"),
            ("UpdateUserRequest", "role", "Role"),
            ("NewOrganizationRequest", "kind", "OrganizationKind"),
        ];
        for (schema, property, target) in properties {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
                panic!("no schema {schema} to give an enum")
            };
            let Some(property) = object.properties.get_mut(property) else { panic!("no {schema}.{property}") };
            refer(property, target);
        }
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            if let Some(locale) = object.properties.get_mut("locale") {
                refer(locale, "Locale");
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    let target = match parameter.name.as_str() {
                        "status" => "ReportStatus",
                        "kind" => "OrganizationKind",
                        "role" => "Role",
                        "format" if parameter.parameter_in == ParameterIn::Path => "OpenDataFormat",
                        "format" => "StatsFormat",
                        "review" => "ReviewFilter",
                        "assignee" => {
                            parameter.schema = Some(assignee());
                            continue;
                        }
                        _ => continue,
                    };
                    parameter.schema.iter_mut().for_each(|schema| refer(schema, target));
                }
            }
        }
    }
}

/// Makes `schema` (a string, perhaps nullable) a reference to the named enum `target`, keeping its
/// description and whether it takes `null`.
fn refer(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>, target: &str) {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
    use utoipa::openapi::{Ref, RefOr};
    let (description, nullable) = match schema {
        RefOr::T(Schema::Object(object)) => (
            object.description.clone().unwrap_or_default(),
            matches!(&object.schema_type, SchemaType::Array(types) if types.contains(&Type::Null)),
        ),
        RefOr::T(Schema::OneOf(one_of)) => (one_of.description.clone().unwrap_or_default(), true),
        RefOr::Ref(reference) => (reference.description.clone(), false),
        _ => (String::new(), false),
    };
    let mut reference = Ref::from_schema_name(target);
    *schema = if nullable {
        let one_of = OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(reference)
            .description((!description.is_empty()).then_some(description));
        RefOr::T(Schema::OneOf(one_of.build()))
    } else {
        reference.description = description;
        RefOr::Ref(reference)
    };
}

/// The inbox's `assignee`: `me`, `none` or an official's id.
fn assignee() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    use utoipa::openapi::Ref;
    let words = Ref::from_schema_name("AssigneeWord");
    let id = ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
    OneOfBuilder::new().item(words).item(id).into()
}

/// Links between the main steps of the app, for generated clients and for Schemathesis's stateful tests.
struct Links;

impl utoipa::Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        let report = |description: &str| json!({"operationId": "getReport", "parameters": {"id": "$response.body#/id"}, "description": description});
        let links = [
            (
                "register",
                "201",
                "GetMe",
                json!({"operationId": "getMe",
                "description": "The new account, with `access_token` as the bearer token"}),
            ),
            ("fileReport", "201", "GetReport", report("The report just filed")),
            ("fileReport", "200", "GetReport", report("The report filed the first time")),
            (
                "uploadMedia",
                "201",
                "GetMedia",
                json!({"operationId": "getMedia",
                "parameters": {"id": "$response.body#/id"}, "description": "The photo just uploaded"}),
            ),
            (
                "uploadMedia",
                "201",
                "FileReport",
                json!({"operationId": "fileReport",
                "requestBody": {"media_ids": ["$response.body#/id"]},
                "description": "File a report with the photo just uploaded (with the rest of the report's fields)"}),
            ),
        ];
        for (from, status, name, link) in links {
            add_link(openapi, from, status, name, link);
        }
    }
}

/// Adds a link to a response. Written as JSON under the response's extensions because utoipa 5.5
/// serializes its `Link` with snake_case keys (`operation_id`), which no tool reads.
fn add_link(
    openapi: &mut utoipa::openapi::OpenApi,
    operation_id: &str,
    status: &str,
    name: &str,
    link: serde_json::Value,
) {
    use utoipa::openapi::RefOr;
    for item in openapi.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            if operation.operation_id.as_deref() != Some(operation_id) {
                continue;
            }
            let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) else {
                panic!("the link {name} starts from {operation_id} {status}, which is not documented");
            };
            let extensions = response.extensions.get_or_insert_with(Default::default);
            let links = extensions.entry("links".to_string()).or_insert_with(|| serde_json::json!({}));
            links[name] = link.clone();
        }
    }
}

/// The contract as YAML, exactly as committed in `api-spec/openapi.yaml`.
pub fn yaml() -> String {
    ApiDoc::openapi().to_yaml().expect("the OpenAPI document serializes to YAML")
}

/// Middleware: a 405 names the methods the route has (RFC 9110 §15.5.6), as the contract lists them.
pub async fn allow_header(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = res.request().match_pattern().and_then(|pattern| allowed_methods().get(&pattern).cloned());
        if let Some(allowed) = allowed.and_then(|a| HeaderValue::from_str(&a).ok()) {
            res.headers_mut().insert(header::ALLOW, allowed);
        }
    }
    Ok(res)
}

/// Each documented path's methods, e.g. `"GET, PATCH"`.
fn allowed_methods() -> &'static HashMap<String, String> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let spec = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let paths = spec["paths"].as_object().cloned().unwrap_or_default();
        paths
            .into_iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = item
                    .as_object()
                    .into_iter()
                    .flat_map(|ops| ops.keys())
                    .filter(|m| ["get", "put", "post", "delete", "patch"].contains(&m.as_str()))
                    .map(|m| m.to_uppercase())
                    .collect();
                // Every GET route answers HEAD too (see `http::head_as_get`).
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_string());
                    methods.sort();
                }
                (path, methods.join(", "))
            })
            .collect()
    })
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

impl ApiDoc {
    /// The document as served at `/api-docs/openapi.json`.
    pub fn openapi_json() -> utoipa::openapi::OpenApi {
        <ApiDoc as OpenApi>::openapi()
    }
}

#[cfg(test)]
mod tests {
    use super::named_enums;
    use serde_json::{json, Value};

    fn derived<T: utoipa::PartialSchema>() -> Vec<Value> {
        let schema = serde_json::to_value(T::schema()).expect("a schema serializes");
        schema["enum"].as_array().cloned().unwrap_or_default()
    }

    /// The enums the code also derives for its answers list the same values as the parsers' constants.
    #[test]
    fn derived_enums_match_the_lists_the_server_parses_with() {
        let derived = [
            ("Role", derived::<crate::accounts::Role>()),
            ("OrganizationKind", derived::<crate::organizations::OrganizationKind>()),
            ("ReportStatus", derived::<crate::reports::ReportStatus>()),
        ];
        for (name, values) in derived {
            let (.., listed) = named_enums().into_iter().find(|(n, ..)| *n == name).expect("a named enum");
            assert_eq!(values, listed.iter().map(|v| json!(v)).collect::<Vec<_>>(), "{name}");
        }
    }
}
