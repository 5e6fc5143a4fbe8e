//! `/api/v1/categories` (anybody) and `/api/v1/admin/categories/{code}/deadlines` (administrators).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extractors::{AdminOnly, AdminUser};
use crate::api::state::AppState;
use crate::calendar::store;
use crate::categories::{
    list_active, set_deadlines, Category, StepRules, ACCEPT_HOURS, MAX_RESOLVE_DAYS, RESOLVE_DAYS, URGENT_HOURS,
};
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{Json, Page, Path};
use crate::values::ProvinceCode;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/categories").route(web::get().to(list)))
        .service(web::resource("/admin/categories/{code}/deadlines").route(web::put().to(put_deadlines)));
}

/// The active report categories, in display order (one page: the list is short).
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", operation_id = "listCategories",
    responses(
        (status = 200, description = "All active categories", body = Page<Category>, headers(("ETag" = String))),
        (status = 304, description = "The app's cached copy (If-None-Match) is current"),
    ))]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let load = async {
        let rows = state.db.run(list_active).await?;
        let items = rows.into_iter().map(Category::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, next_cursor: None })
    };
    state.categories.respond(&req, load).await
}

/// How long an instance serves the categories from memory: a change made through another instance
/// shows within this time (at once on the instance that made it).
pub const CATEGORIES_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesRequest {
    /// Set one province's own deadlines for the category (2 digits); without it, every province's.
    #[schema(example = "68")]
    pub province_code: Option<String>,
    /// Office hours to accept (triage) a report: 1 to 80.
    #[schema(example = 8)]
    pub accept_working_hours: i32,
    /// Working days to resolve it once accepted: 1 to 60.
    #[schema(example = 10)]
    pub resolve_working_days: i32,
    /// The most working days an extension may bring the resolution to: from `resolve_working_days` to 90.
    #[schema(example = 15)]
    pub max_resolve_working_days: i32,
    /// Clock hours to resolve an urgent report: 1 to 168.
    #[schema(example = 24)]
    pub urgent_hours: i32,
}

impl DeadlinesRequest {
    fn parse(self) -> Result<(Option<ProvinceCode>, StepRules), AppError> {
        let mut errors = FieldErrors::default();
        let province = self.province_code.and_then(|raw| errors.check(store::parse_province(&raw, "province_code")));
        let mut within = |field: &str, value: i32, range: std::ops::RangeInclusive<i32>| {
            if !range.contains(&value) {
                let (min, max) = (f64::from(*range.start()), f64::from(*range.end()));
                errors.add(field, FieldIssue::OutOfRange { min, max });
            }
        };
        within("accept_working_hours", self.accept_working_hours, ACCEPT_HOURS);
        within("resolve_working_days", self.resolve_working_days, RESOLVE_DAYS);
        within("urgent_hours", self.urgent_hours, URGENT_HOURS);
        let most = self.resolve_working_days.max(*MAX_RESOLVE_DAYS.start())..=*MAX_RESOLVE_DAYS.end();
        within("max_resolve_working_days", self.max_resolve_working_days, most);
        errors.finish()?;
        let rules = StepRules {
            accept_working_hours: self.accept_working_hours,
            resolve_working_days: self.resolve_working_days,
            max_resolve_working_days: self.max_resolve_working_days,
            urgent_hours: self.urgent_hours,
        };
        Ok((province, rules))
    }
}

/// Set a category's deadlines, for every province or (`province_code`) one province's own, which win.
/// Reports take them when their next step begins; the change is written to the audit log.
#[utoipa::path(put, path = "/api/v1/admin/categories/{code}/deadlines", tag = "categories", operation_id = "setCategoryDeadlines", security(("bearer" = [])),
    params(("code" = String, Path, description = "Category code", example = "street_lighting")), request_body = DeadlinesRequest,
    responses(
        (status = 200, description = "The deadlines now in force (for the province, if one was named)", body = StepRules),
        AdminOnly,
        (status = 404, description = "`category_not_found`"),
        (status = 422, description = "`validation_failed`: a value out of range, or an unknown `province_code`"),
    ))]
pub async fn put_deadlines(
    admin: AdminUser,
    state: web::Data<AppState>,
    code: Path<String>,
    body: Json<DeadlinesRequest>,
) -> Result<HttpResponse, AppError> {
    let (province, rules) = body.0.parse()?;
    let admin_id = admin.0.user.id.clone();
    let now = chrono::Utc::now().naive_utc();
    let rules = state
        .db
        .run(move |conn| set_deadlines(conn, &code.into_inner(), province.as_ref(), rules, &admin_id, now))
        .await?;
    state.categories.forget();
    Ok(HttpResponse::Ok().json(rules))
}
