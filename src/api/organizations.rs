//! `/api/v1/admin/organizations` and `/api/v1/admin/routing-rules` (administrators).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extractors::{AdminOnly, AdminUser};
use crate::api::state::AppState;
use crate::calendar::office_hours::OfficeHours;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{Json, Path, Query};
use crate::organizations::{
    add_member, create, list, remove_member, set_office_hours, set_rule, NewOrganization, Organization,
    OrganizationKind,
};
use crate::units::{ProvinceCode, UnitCode};
use crate::values::{OrganizationId, UserId};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/organizations")
            .route(web::post().to(create_organization))
            .route(web::get().to(list_organizations)),
    )
    .service(
        web::resource("/admin/organizations/{id}/members/{user_id}")
            .route(web::put().to(add))
            .route(web::delete().to(remove)),
    )
    .service(web::resource("/admin/organizations/{id}/office-hours").route(web::put().to(put_office_hours)))
    .service(web::resource("/admin/routing-rules/{province}/{category}").route(web::put().to(put_rule)));
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeHoursRequest {
    /// Periods `HH:MM-HH:MM` in order, separated by commas, local time.
    #[schema(example = "07:00-11:30,13:00-16:30")]
    pub office_hours: String,
}

/// Set the hours an organization's deadlines in working hours (triage) run in; the default is
/// 07:30–11:30 and 13:30–17:00. Steps that begin from now on use them.
#[utoipa::path(put, path = "/api/v1/admin/organizations/{id}/office-hours", tag = "admin", operation_id = "setOfficeHours", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")), request_body = OfficeHoursRequest,
    responses(
        (status = 200, description = "The organization with its hours", body = Organization),
        AdminOnly,
        (status = 404, description = "`organization_not_found`"),
        (status = 422, description = "`validation_failed`: not periods `HH:MM-HH:MM` in order"),
    ))]
pub async fn put_office_hours(
    _admin: AdminUser,
    state: web::Data<AppState>,
    id: Path<OrganizationId>,
    body: Json<OfficeHoursRequest>,
) -> Result<HttpResponse, AppError> {
    let hours = OfficeHours::parse(&body.0.office_hours).ok_or_else(|| {
        AppError::invalid(
            "office_hours",
            FieldIssue::InvalidValue("periods HH:MM-HH:MM in order, comma-separated".into()),
        )
    })?;
    let row = state.db.run(move |conn| set_office_hours(conn, &id, &hours)).await?;
    Ok(HttpResponse::Ok().json(Organization::try_from(&row)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    /// `commune_office`, `department` or `ioc`.
    pub kind: String,
    #[schema(example = "Sở Xây dựng tỉnh Lâm Đồng")]
    pub name: String,
    #[schema(example = "68")]
    pub province_code: String,
    /// The commune, for a commune office only.
    pub unit_code: Option<String>,
}

impl NewOrganizationRequest {
    /// The longest name, counted after runs of whitespace are collapsed and the ends trimmed.
    pub const NAME_CHARS: usize = 200;

    fn parse(self) -> Result<NewOrganization, AppError> {
        let mut errors = FieldErrors::default();
        let kind = errors.check(OrganizationKind::parse(&self.kind, "kind"));
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        match name.chars().count() {
            0 => errors.add("name", FieldIssue::Required),
            n if n > Self::NAME_CHARS => errors.add("name", FieldIssue::TooLong { max: Self::NAME_CHARS }),
            _ => {}
        }
        if ProvinceCode::parse(&self.province_code).is_none() {
            errors.add("province_code", FieldIssue::UnitCode);
        }
        let unit_code = self.unit_code.as_deref().and_then(|u| errors.check(UnitCode::parse_field(u, "unit_code")));
        errors.finish()?;
        let kind = kind.ok_or_else(|| AppError::Internal("kind parsed without value".into()))?;
        Ok(NewOrganization {
            kind,
            name,
            province_code: self.province_code.trim().to_string(),
            unit_code: unit_code.map(|u| u.as_str().to_string()),
        })
    }
}

/// Create an organization (commune offices are also created on demand when a report needs one).
#[utoipa::path(post, path = "/api/v1/admin/organizations", tag = "admin", operation_id = "createOrganization", security(("bearer" = [])),
    request_body = NewOrganizationRequest,
    responses(
        (status = 201, description = "Created", body = Organization),
        AdminOnly,
        (status = 409, description = "`organization_exists`: the commune has its office, or the province its IOC"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn create_organization(
    _admin: AdminUser,
    state: web::Data<AppState>,
    body: Json<NewOrganizationRequest>,
) -> Result<HttpResponse, AppError> {
    let new = body.0.parse()?;
    let row = state.db.run(move |conn| create(conn, &new)).await?;
    Ok(HttpResponse::Created().json(Organization::try_from(&row)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationsQuery {
    province: Option<String>,
    kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organizations {
    pub items: Vec<Organization>,
}

/// Organizations, by province and name.
#[utoipa::path(get, path = "/api/v1/admin/organizations", tag = "admin", operation_id = "listOrganizations", security(("bearer" = [])),
    params(OrganizationsQuery),
    responses(
        (status = 200, description = "Organizations", body = Organizations),
        AdminOnly,
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn list_organizations(
    _admin: AdminUser,
    state: web::Data<AppState>,
    query: Query<OrganizationsQuery>,
) -> Result<HttpResponse, AppError> {
    let OrganizationsQuery { province, kind } = query.into_inner();
    let kind = kind.as_deref().map(|k| OrganizationKind::parse(k, "kind")).transpose()?;
    let rows = state.db.run(move |conn| list(conn, province.as_deref(), kind)).await?;
    Ok(HttpResponse::Ok()
        .json(Organizations { items: rows.iter().map(Organization::try_from).collect::<Result<_, _>>()? }))
}

/// Make an official a member of an organization (idempotent).
#[utoipa::path(put, path = "/api/v1/admin/organizations/{id}/members/{user_id}", tag = "admin", operation_id = "addMember", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id"), ("user_id" = String, Path, description = "An official's id")),
    responses(
        (status = 204, description = "A member"),
        AdminOnly,
        (status = 404, description = "`organization_not_found` or `user_not_found`"),
        (status = 422, description = "`validation_failed`: `not_an_official`"),
    ))]
pub async fn add(
    _admin: AdminUser,
    state: web::Data<AppState>,
    path: Path<(OrganizationId, UserId)>,
) -> Result<HttpResponse, AppError> {
    let (organization, user) = path.into_inner();
    state.db.run(move |conn| add_member(conn, &organization, &user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove an official from an organization; they lose its reports at once.
#[utoipa::path(delete, path = "/api/v1/admin/organizations/{id}/members/{user_id}", tag = "admin", operation_id = "removeMember", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id"), ("user_id" = String, Path, description = "An official's id")),
    responses(
        (status = 204, description = "Not a member (any more)"),
        AdminOnly,
        (status = 404, description = "`organization_not_found`"),
    ))]
pub async fn remove(
    _admin: AdminUser,
    state: web::Data<AppState>,
    path: Path<(OrganizationId, UserId)>,
) -> Result<HttpResponse, AppError> {
    let (organization, user) = path.into_inner();
    state.db.run(move |conn| remove_member(conn, &organization, &user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleRequest {
    /// A department of the province.
    #[schema(value_type = String, format = Uuid)]
    pub organization_id: OrganizationId,
}

/// Route a category's reports in a province to one of its departments.
#[utoipa::path(put, path = "/api/v1/admin/routing-rules/{province}/{category}", tag = "admin", operation_id = "putRoutingRule", security(("bearer" = [])),
    params(("province" = String, Path, description = "Province code"), ("category" = String, Path, description = "Category code")),
    request_body = RoutingRuleRequest,
    responses(
        (status = 204, description = "Stored"),
        AdminOnly,
        (status = 422, description = "`validation_failed`: `not_a_department`, `unknown_category`, bad province"),
    ))]
pub async fn put_rule(
    _admin: AdminUser,
    state: web::Data<AppState>,
    path: Path<(String, String)>,
    body: Json<RoutingRuleRequest>,
) -> Result<HttpResponse, AppError> {
    let (province, category) = path.into_inner();
    let province = ProvinceCode::parse(&province).ok_or_else(|| AppError::invalid("province", FieldIssue::UnitCode))?;
    let organization = body.0.organization_id;
    state.db.run(move |conn| set_rule(conn, province.as_str(), &category, &organization)).await?;
    Ok(HttpResponse::NoContent().finish())
}
