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
        crate::categories::routes::list,
        crate::health::live,
        crate::health::ready,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField)),
    tags(
        (name = "units", description = "Administrative units: 34 provinces and 3,321 communes, wards and special zones"),
        (name = "categories", description = "Report categories"),
        (name = "health", description = "Liveness and readiness for orchestrators"),
    ),
)]
pub struct ApiDoc;

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
