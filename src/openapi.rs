//! The API contract, generated from the handlers' annotations; `api-spec/openapi.yaml` is its committed copy.

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
        crate::units::routes::list,
        crate::units::routes::get,
        crate::units::routes::locate,
        crate::units::routes::import_boundaries,
        crate::categories::routes::list,
        crate::auth::routes::register,
        crate::auth::routes::log_in,
        crate::auth::routes::refresh,
        crate::auth::routes::log_out,
        crate::auth::routes::log_out_everywhere,
        crate::auth::routes::verify_email,
        crate::auth::routes::forgot_password,
        crate::auth::routes::reset_password,
        crate::accounts::routes::get_me,
        crate::accounts::routes::update_me,
        crate::accounts::routes::export_me,
        crate::accounts::routes::delete_me,
        crate::accounts::routes::admin_create_user,
        crate::accounts::routes::admin_list_users,
        crate::accounts::routes::admin_update_user,
        crate::reports::routes::file,
        crate::reports::routes::get,
        crate::reports::routes::list,
        crate::reports::routes::mine,
        crate::reports::routes::similar,
        crate::reports::routes::support,
        crate::reports::routes::unsupport,
        crate::reports::routes::withdraw,
        crate::reports::routes::add_photos,
        crate::reports::routes::rate,
        crate::reports::routes::reopen,
        crate::media::routes::upload,
        crate::media::routes::original,
        crate::media::routes::thumbnail,
        crate::organizations::routes::create_organization,
        crate::organizations::routes::list_organizations,
        crate::organizations::routes::add,
        crate::organizations::routes::remove,
        crate::organizations::routes::put_rule,
        crate::workflow::routes::list,
        crate::workflow::routes::get,
        crate::workflow::routes::act,
        crate::workflow::routes::reveal_reporter,
        crate::notify::routes::list,
        crate::notify::routes::read,
        crate::notify::routes::read_all,
        crate::onboarding::routes::create,
        crate::onboarding::routes::list,
        crate::onboarding::routes::get,
        crate::onboarding::routes::update,
        crate::onboarding::routes::close,
        crate::onboarding::routes::add_agent,
        crate::onboarding::routes::agents,
        crate::onboarding::routes::update_agent,
        crate::onboarding::routes::qr_svg,
        crate::onboarding::routes::qr_png,
        crate::onboarding::routes::poster,
        crate::onboarding::routes::campaign_stats,
        crate::onboarding::routes::province_stats,
        crate::onboarding::routes::my_agents,
        crate::onboarding::routes::resolve,
        crate::onboarding::routes::credit_me,
        crate::onboarding::routes::assisted_sign_up,
        crate::onboarding::routes::resend_activation,
        crate::onboarding::routes::activate,
        crate::health::live,
        crate::health::ready,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "auth", description = "Sign-up, log-in, tokens, email verification, password reset"),
        (name = "me", description = "The signed-in person's own account and data"),
        (name = "admin", description = "Administration (role `admin`)"),
        (name = "officials", description = "The officials' inbox, scoped to their organizations"),
        (name = "media", description = "Photos: uploaded first, attached to a report by id"),
        (name = "reports", description = "Feedback reports: filing, reading, lists by place, support, withdrawal"),
        (name = "onboarding", description = "QR-code onboarding drives: campaigns, volunteers' signed codes, QR codes and posters, assisted sign-up, tallies"),
        (name = "notifications", description = "News of the reports one filed or supports, in-app (and by mail when the email is verified)"),
        (name = "units", description = "Administrative units: 34 provinces and 3,321 communes, wards and special zones"),
        (name = "categories", description = "Report categories"),
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

/// Adds the errors any operation can meet, so each annotation lists only its own: every JSON body can be
/// malformed, too large or of the wrong type; every operation that needs a token can lack a valid one;
/// every operation but liveness needs the database.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        crate::error::PROBLEM_JSON,
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                if operation.request_body.is_some() {
                    responses.entry("400".into()).or_insert_with(|| problem("`malformed_json`: the body is not JSON"));
                    responses
                        .entry("413".into())
                        .or_insert_with(|| problem("`payload_too_large`: the body is over 64 KiB"));
                    responses
                        .entry("415".into())
                        .or_insert_with(|| problem("`unsupported_media_type`: the body is not `application/json`"));
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    responses.entry("401".into()).or_insert_with(|| problem("`unauthenticated` or `token_expired`"));
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

/// The contract as YAML, exactly as committed in `api-spec/openapi.yaml`.
pub fn yaml() -> String {
    ApiDoc::openapi().to_yaml().expect("the OpenAPI document serializes to YAML")
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
