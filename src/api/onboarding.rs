//! The onboarding API: campaigns, agents, QR codes and posters, tallies (administrators and officials
//! within their unit); a volunteer's own agents and assisted sign-ups; what a code says (public).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::PhoneNumber;
use crate::api::extractors::CurrentUser;
use crate::api::extractors::{limit, DeviceIdHeader, RateLimited};
use crate::api::session_response::{token_response, TokenResponse};
use crate::api::state::AppState;
use crate::auth::limits::Action;
use crate::auth::password::Password;
use crate::db::DbConnection;
use crate::error::{AppError, FieldErrors, FieldIssue};
use crate::http::{check_id_cursor, page_limit, Json, Page, PageSize, Path, Query};
use crate::onboarding::assisted::{self, ActivateRequest, AssistedSignUpRequest, ResendRequest};
use crate::onboarding::qr::{self, Poster, Qr};
use crate::onboarding::stats::{self, CampaignStats, ProvinceStats};
use crate::onboarding::store::{self, CampaignChanges, NewAgentRequest, NewCampaignRequest};
use crate::onboarding::{deep_link, vietnam_today, Agent, AgentRow, Campaign, CampaignRow, Manager};
use crate::values::{AgentId, CampaignId};

/// Pages of this list: 20 items unless `limit` says otherwise, at most 100.
pub(crate) const PAGE: PageSize = PageSize { default: 20, max: 100 };

/// What `format` a campaign's tallies come in: the first is the default.
pub(crate) const STATS_FORMATS: &[&str] = &["json", "csv"];

/// What every operation on one campaign may answer: the caller manages no campaign of that id.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
enum CampaignErrors {
    #[response(status = 403, description = "`forbidden`")]
    NotAManager,
    #[response(status = 404, description = "`campaign_not_found`")]
    NoSuchCampaign,
}

/// What every operation on one of a campaign's agents may answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its annotations are read, by the contract
enum AgentErrors {
    #[response(status = 403, description = "`forbidden`")]
    NotAManager,
    #[response(status = 404, description = "`campaign_not_found` or `agent_not_found`")]
    NoSuchCampaignOrAgent,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/campaigns").route(web::post().to(create)).route(web::get().to(list)))
        .service(web::resource("/admin/campaigns/{id}").route(web::get().to(get)).route(web::patch().to(update)))
        .service(web::resource("/admin/campaigns/{id}/close").route(web::post().to(close)))
        .service(
            web::resource("/admin/campaigns/{id}/agents").route(web::post().to(add_agent)).route(web::get().to(agents)),
        )
        .service(web::resource("/admin/campaigns/{id}/agents/{agent_id}").route(web::patch().to(update_agent)))
        .service(web::resource("/admin/campaigns/{id}/agents/{agent_id}/qr.svg").route(web::get().to(qr_svg)))
        .service(web::resource("/admin/campaigns/{id}/agents/{agent_id}/qr.png").route(web::get().to(qr_png)))
        .service(web::resource("/admin/campaigns/{id}/poster.svg").route(web::get().to(poster)))
        .service(web::resource("/admin/campaigns/{id}/stats").route(web::get().to(campaign_stats)))
        .service(web::resource("/admin/onboarding/stats").route(web::get().to(province_stats)))
        .service(web::resource("/me/agents").route(web::get().to(my_agents)))
        .service(web::resource("/me/onboarding").route(web::post().to(credit_me)))
        .service(web::resource("/onboarding/assisted").route(web::post().to(assisted_sign_up)))
        .service(web::resource("/onboarding/assisted/resend").route(web::post().to(resend_activation)))
        .service(web::resource("/onboarding/activate").route(web::post().to(activate)))
        .service(web::resource("/onboarding/{code}").route(web::get().to(resolve)));
}

/// Runs `work` with the caller as a campaign manager (403 for citizens and volunteers).
async fn as_manager<T: Send + 'static>(
    state: &AppState,
    current: CurrentUser,
    work: impl FnOnce(&mut DbConnection, &Manager) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    state
        .db
        .run(move |conn| {
            let manager = Manager::of(conn, &current.user)?;
            work(conn, &manager)
        })
        .await
}

fn one_view(conn: &mut DbConnection, row: CampaignRow) -> Result<Campaign, AppError> {
    Ok(store::views(conn, std::slice::from_ref(&row))?.remove(0))
}

/// Start a campaign in a unit (and everything under it). Officials: only in their own unit.
#[utoipa::path(post, path = "/api/v1/admin/campaigns", tag = "onboarding", operation_id = "createCampaign",
    security(("bearer" = [])), request_body = NewCampaignRequest,
    responses(
        (status = 201, description = "Created", body = Campaign),
        (status = 403, description = "`forbidden`: not an administrator or official, or a unit outside the official's"),
        (status = 422, description = "`validation_failed`: name, unit, period or target"),
    ))]
pub async fn create(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<NewCampaignRequest>,
) -> Result<HttpResponse, AppError> {
    let by = current.user.id.clone();
    let campaign = as_manager(&state, current, move |conn, manager| {
        let row = store::create(conn, manager, &by, body.0)?;
        one_view(conn, row)
    })
    .await?;
    Ok(HttpResponse::Created().json(campaign))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignsQuery {
    /// Only this province's campaigns.
    province: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The caller's campaigns (an administrator: all), newest first.
#[utoipa::path(get, path = "/api/v1/admin/campaigns", tag = "onboarding", operation_id = "listCampaigns",
    security(("bearer" = [])), params(CampaignsQuery),
    responses(
        (status = 200, description = "A page of campaigns", body = Page<Campaign>),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn list(
    current: CurrentUser,
    state: web::Data<AppState>,
    query: Query<CampaignsQuery>,
) -> Result<HttpResponse, AppError> {
    let CampaignsQuery { province, limit, cursor } = query.into_inner();
    let mut errors = FieldErrors::default();
    let limit = page_limit(limit, PAGE, &mut errors);
    check_id_cursor(cursor.as_deref(), &mut errors);
    errors.finish()?;
    let page = as_manager(&state, current, move |conn, manager| {
        let rows = store::list(conn, manager, province.as_deref(), cursor.as_deref(), limit)?;
        let views = store::views(conn, &rows)?;
        Page::from_rows(views, limit, |c| c.id.to_string(), |c| Ok(c.clone()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One campaign; another unit's or province's is 404 for an official.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}", tag = "onboarding", operation_id = "getCampaign",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        CampaignErrors,
    ))]
pub async fn get(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let campaign = as_manager(&state, current, move |conn, manager| {
        let row = store::find(conn, manager, &id)?;
        one_view(conn, row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(campaign))
}

/// Change a campaign's name, period or target (not its unit).
#[utoipa::path(patch, path = "/api/v1/admin/campaigns/{id}", tag = "onboarding", operation_id = "updateCampaign",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id")), request_body = CampaignChanges,
    responses(
        (status = 200, description = "Changed", body = Campaign),
        CampaignErrors,
        (status = 409, description = "`campaign_closed`"),
        (status = 422, description = "`validation_failed`"),
    ))]
pub async fn update(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
    body: Json<CampaignChanges>,
) -> Result<HttpResponse, AppError> {
    let campaign = as_manager(&state, current, move |conn, manager| {
        let row = store::update(conn, manager, &id, body.0)?;
        one_view(conn, row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(campaign))
}

/// Close a campaign for good: its codes are refused from then on (`onboarding_campaign_closed`).
#[utoipa::path(post, path = "/api/v1/admin/campaigns/{id}/close", tag = "onboarding", operation_id = "closeCampaign",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Closed", body = Campaign),
        CampaignErrors,
        (status = 409, description = "`campaign_closed`: already closed"),
    ))]
pub async fn close(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let campaign = as_manager(&state, current, move |conn, manager| {
        let row = store::close(conn, manager, &id)?;
        one_view(conn, row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(campaign))
}

fn agent_view(conn: &mut DbConnection, state: &AppState, row: AgentRow) -> Result<Agent, AppError> {
    Ok(store::agent_views(conn, std::slice::from_ref(&row), &state.onboarding, &state.settings.app_link_base)?
        .remove(0))
}

/// Give a volunteer of the campaign their signed code.
#[utoipa::path(post, path = "/api/v1/admin/campaigns/{id}/agents", tag = "onboarding", operation_id = "addAgent",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id")), request_body = NewAgentRequest,
    responses(
        (status = 201, description = "The agent with their code and link", body = Agent),
        CampaignErrors,
        (status = 409, description = "`campaign_closed`"),
        (status = 422, description = "`validation_failed`: display name, `unknown_user`, unit outside the campaign's"),
    ))]
pub async fn add_agent(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
    body: Json<NewAgentRequest>,
) -> Result<HttpResponse, AppError> {
    let app = state.clone();
    let agent = as_manager(&state, current, move |conn, manager| {
        let row = store::add_agent(conn, manager, &id, body.0)?;
        agent_view(conn, &app, row)
    })
    .await?;
    Ok(HttpResponse::Created().json(agent))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    pub items: Vec<Agent>,
}

/// The campaign's agents, with their codes and sign-ups.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/agents", tag = "onboarding", operation_id = "listAgents",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "The agents", body = AgentList),
        CampaignErrors,
    ))]
pub async fn agents(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let app = state.clone();
    let items = as_manager(&state, current, move |conn, manager| {
        let campaign = store::find(conn, manager, &id)?;
        let rows = store::agents_of(conn, &campaign.id)?;
        store::agent_views(conn, &rows, &app.onboarding, &app.settings.app_link_base)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgentList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentChanges {
    /// `false` deactivates the agent: their code credits nobody any more.
    pub active: bool,
}

/// Deactivate (or reactivate) an agent.
#[utoipa::path(patch, path = "/api/v1/admin/campaigns/{id}/agents/{agent_id}", tag = "onboarding", operation_id = "updateAgent",
    security(("bearer" = [])), request_body = AgentChanges,
    params(("id" = String, Path, description = "Campaign id"), ("agent_id" = String, Path, description = "Agent id")),
    responses(
        (status = 200, description = "Changed", body = Agent),
        AgentErrors,
        (status = 409, description = "`campaign_closed`"),
    ))]
pub async fn update_agent(
    current: CurrentUser,
    state: web::Data<AppState>,
    path: Path<(CampaignId, AgentId)>,
    body: Json<AgentChanges>,
) -> Result<HttpResponse, AppError> {
    let (id, agent_id) = path.into_inner();
    let app = state.clone();
    let agent = as_manager(&state, current, move |conn, manager| {
        let row = store::set_agent_active(conn, manager, &id, &agent_id, body.0.active)?;
        agent_view(conn, &app, row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(agent))
}

/// The campaign (the manager's) and one of its agents, with the agent's code and deep link.
async fn campaign_agent(
    state: &web::Data<AppState>,
    current: CurrentUser,
    id: CampaignId,
    agent_id: Option<AgentId>,
) -> Result<(CampaignRow, AgentRow, String, String, String), AppError> {
    let (campaign, agent, unit_name) = as_manager(state, current, move |conn, manager| {
        let campaign = store::find(conn, manager, &id)?;
        let agent = match agent_id {
            Some(agent_id) => store::find_agent(conn, &campaign.id, &agent_id)?,
            None => store::poster_agent(conn, manager, &campaign.id)?,
        };
        let unit_name = store::unit_name(conn, &campaign.unit_code)?;
        Ok((campaign, agent, unit_name))
    })
    .await?;
    let code = state.onboarding.code(agent.number);
    let link = deep_link(&state.settings.app_link_base, &code);
    Ok((campaign, agent, unit_name, code, link))
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// The agent's QR code as SVG: it encodes `CDS_APP_LINK_BASE?c=CODE`, error correction H.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/agents/{agent_id}/qr.svg", tag = "onboarding", operation_id = "agentQrSvg",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Campaign id"), ("agent_id" = String, Path, description = "Agent id")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml"),
        AgentErrors,
    ))]
pub async fn qr_svg(
    current: CurrentUser,
    state: web::Data<AppState>,
    path: Path<(CampaignId, AgentId)>,
) -> Result<HttpResponse, AppError> {
    let (id, agent_id) = path.into_inner();
    let (.., link) = campaign_agent(&state, current, id, Some(agent_id)).await?;
    Ok(svg(Qr::of(&link)?.svg()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PngQuery {
    /// Width and height in pixels, 128 to 2048 (default 512).
    size: Option<u32>,
}

/// The agent's QR code as a PNG of `size` × `size` pixels.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/agents/{agent_id}/qr.png", tag = "onboarding", operation_id = "agentQrPng",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Campaign id"), ("agent_id" = String, Path, description = "Agent id"), PngQuery),
    responses(
        (status = 200, description = "The QR code", content_type = "image/png"),
        AgentErrors,
        (status = 422, description = "`validation_failed`: `size` out of range"),
    ))]
pub async fn qr_png(
    current: CurrentUser,
    state: web::Data<AppState>,
    path: Path<(CampaignId, AgentId)>,
    query: Query<PngQuery>,
) -> Result<HttpResponse, AppError> {
    let size = query.size.unwrap_or(512);
    let (min, max) = qr::PNG_SIZES;
    if !(min..=max).contains(&size) {
        return Err(AppError::invalid("size", FieldIssue::OutOfRange { min: f64::from(min), max: f64::from(max) }));
    }
    let (id, agent_id) = path.into_inner();
    let (.., link) = campaign_agent(&state, current, id, Some(agent_id)).await?;
    let png = web::block(move || Qr::of(&link)?.png(size))
        .await
        .map_err(|err| AppError::Internal(format!("blocking task: {err}")))??;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PosterQuery {
    /// The volunteer whose QR code the poster carries; without it, the campaign's own code (sign-ups
    /// count for the campaign and its unit, with no volunteer).
    #[param(value_type = Option<String>, format = Uuid)]
    agent_id: Option<AgentId>,
}

/// A printable A4 poster (SVG): the campaign, its unit, the agent's QR code and how to use it, in Vietnamese.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/poster.svg", tag = "onboarding", operation_id = "campaignPoster",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id"), PosterQuery),
    responses(
        (status = 200, description = "The poster, 210 × 297 mm", content_type = "image/svg+xml"),
        AgentErrors,
        (status = 409, description = "`campaign_closed`: no campaign code for a closed campaign"),
    ))]
pub async fn poster(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
    query: Query<PosterQuery>,
) -> Result<HttpResponse, AppError> {
    let (campaign, agent, unit_name, code, link) =
        campaign_agent(&state, current, id.into_inner(), query.into_inner().agent_id).await?;
    let sheet =
        Poster { campaign: &campaign.name, unit: &unit_name, agent: &agent.display_name, link: &link, code: &code };
    Ok(svg(qr::poster(&Qr::of(&link)?, &sheet)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `json` (default) or `csv`: one row per day, agent and unit.
    format: Option<String>,
}

/// A campaign's sign-ups: total, per day (Vietnamese days), per agent, per unit, against the target,
/// and the share of accounts that went on to file or support a report.
#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/stats", tag = "onboarding", operation_id = "campaignStats",
    security(("bearer" = [])), params(("id" = String, Path, description = "Campaign id"), StatsQuery),
    responses(
        (status = 200, description = "The tallies; `text/csv` with `format=csv`", content(
            (CampaignStats = "application/json"),
            (String = "text/csv", example = "date,agent_id,agent_name,unit_code,unit_name,signups,activated\n"),
        )),
        CampaignErrors,
        (status = 422, description = "`validation_failed`: unknown `format`"),
    ))]
pub async fn campaign_stats(
    current: CurrentUser,
    state: web::Data<AppState>,
    id: Path<CampaignId>,
    query: Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let csv = match query.format.as_deref().map(|f| STATS_FORMATS.iter().position(|known| *known == f)) {
        None | Some(Some(0)) => false,
        Some(Some(_)) => true,
        Some(None) => return Err(AppError::invalid("format", FieldIssue::OneOf(STATS_FORMATS))),
    };
    if csv {
        let (name, body) = as_manager(&state, current, move |conn, manager| {
            let campaign = store::find(conn, manager, &id)?;
            Ok((campaign.id.clone(), stats::campaign_csv(conn, &campaign.id)?))
        })
        .await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"campaign-{name}.csv\"")))
            .body(body));
    }
    let stats = as_manager(&state, current, move |conn, manager| {
        let row = store::find(conn, manager, &id)?;
        let campaign = one_view(conn, row)?;
        stats::campaign_stats(conn, campaign)
    })
    .await?;
    Ok(HttpResponse::Ok().json(stats))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProvinceStatsQuery {
    /// The province's 2-digit code.
    province: String,
}

/// A province's campaigns side by side, and its sign-ups per unit. Officials: their own province only; a
/// commune official sees the province's totals and the detail of their own commune (and the province-wide
/// campaigns that cover it).
#[utoipa::path(get, path = "/api/v1/admin/onboarding/stats", tag = "onboarding", operation_id = "provinceOnboardingStats",
    security(("bearer" = [])), params(ProvinceStatsQuery),
    responses(
        (status = 200, description = "The tallies", body = ProvinceStats),
        (status = 403, description = "`forbidden`: another province"),
        (status = 404, description = "`unit_not_found`: no such province"),
    ))]
pub async fn province_stats(
    current: CurrentUser,
    state: web::Data<AppState>,
    query: Query<ProvinceStatsQuery>,
) -> Result<HttpResponse, AppError> {
    let province = query.into_inner().province.trim().to_string();
    let stats = as_manager(&state, current, move |conn, manager| {
        if !manager.covers_province(&province) {
            return Err(AppError::Forbidden);
        }
        let rows = store::list(conn, &Manager::Admin, Some(&province), None, i64::from(u16::MAX))?;
        Ok(stats::province_stats(conn, &province, &rows, vietnam_today(Utc::now()))?.as_seen_by(manager))
    })
    .await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// The caller's own agents (a volunteer's codes and tallies).
#[utoipa::path(get, path = "/api/v1/me/agents", tag = "onboarding", operation_id = "myAgents", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's agents", body = AgentList),
    ))]
pub async fn my_agents(current: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let app = state.clone();
    let items = state
        .db
        .run(move |conn| {
            let rows = store::agents_of_user(conn, &current.user.id)?;
            store::agent_views(conn, &rows, &app.onboarding, &app.settings.app_link_base)
        })
        .await?;
    Ok(HttpResponse::Ok().json(AgentList { items }))
}

/// What the app shows on the sign-up screen after a scan.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeInfo {
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    pub campaign_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub agent_display_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Whether a sign-up with this code is credited now (false: agent deactivated, or the campaign
    /// has not started).
    pub active: bool,
}

/// What a scanned code stands for. Public, rate-limited.
#[utoipa::path(get, path = "/api/v1/onboarding/{code}", tag = "onboarding", operation_id = "resolveOnboardingCode",
    params(("code" = String, Path, description = "The 12-character code of the QR code"), DeviceIdHeader),
    responses(
        (status = 200, description = "The campaign and volunteer behind the code", body = CodeInfo),
        (status = 404, description = "`onboarding_code_invalid`: forged, altered or unknown"),
        (status = 410, description = "`onboarding_campaign_closed` or `onboarding_campaign_ended`"),
        RateLimited,
    ))]
pub async fn resolve(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: Path<String>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::Onboarding, &[("code", &code)]).await?;
    let app = state.clone();
    let info = state
        .db
        .run(move |conn| {
            let resolved = store::resolve(conn, &app.onboarding, &code)?;
            Ok(CodeInfo {
                active: resolved.active(),
                unit_name: store::unit_name(conn, &resolved.campaign.unit_code)?,
                campaign_id: resolved.campaign.id,
                campaign_name: resolved.campaign.name,
                unit_code: resolved.campaign.unit_code,
                agent_display_name: resolved.agent.display_name,
                starts_on: resolved.campaign.starts_on,
                ends_on: resolved.campaign.ends_on,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(info))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// A code scanned after signing up.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Credited {
    #[schema(value_type = String, format = Uuid)]
    pub campaign_id: CampaignId,
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: AgentId,
    pub unit_code: String,
}

/// Credit one's account to the campaign of a code scanned after signing up. Once: an account already
/// credited stays where it is (the same code again answers 200, as a retry).
#[utoipa::path(post, path = "/api/v1/me/onboarding", tag = "onboarding", operation_id = "creditMe", security(("bearer" = [])),
    request_body = CreditRequest,
    responses(
        (status = 200, description = "Credited", body = Credited),
        (status = 409, description = "`already_credited`"),
        (status = 422, description = "`validation_failed`: the code is forged, of a closed or ended campaign, or of an inactive agent (field `onboarding_code`)"),
    ))]
pub async fn credit_me(
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<CreditRequest>,
) -> Result<HttpResponse, AppError> {
    let app = state.clone();
    let credited = state
        .db
        .run(move |conn| {
            let resolved = store::credit_at_sign_up(conn, &app.onboarding, &current.user.id, &body.0.code)?;
            Ok(Credited {
                campaign_id: resolved.campaign.id,
                agent_id: resolved.agent.id,
                unit_code: resolved.agent.unit_code,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(credited))
}

/// An account opened for a neighbour.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssistedAccount {
    pub user: crate::accounts::User,
    /// The activation code went to this phone by text message.
    pub activation_sent_to: String,
}

/// An account opened for a neighbour is useless without its activation code: refuse before opening it.
fn ensure_texts_can_be_sent(state: &AppState) -> Result<(), AppError> {
    match state.settings.sms {
        crate::config::SmsTransport::Off => Err(AppError::SmsUnavailable),
        _ => Ok(()),
    }
}

/// A volunteer opens an account for a neighbour with a phone and no email: no password yet; a
/// six-digit activation code goes to the phone (valid 72 hours). Retrying the same request returns the
/// same account (200) without a second message.
#[utoipa::path(post, path = "/api/v1/onboarding/assisted", tag = "onboarding", operation_id = "assistedSignUp",
    security(("bearer" = [])), request_body = AssistedSignUpRequest, params(DeviceIdHeader),
    responses(
        (status = 201, description = "Account opened, activation code sent", body = AssistedAccount),
        (status = 200, description = "The same request again: the account opened the first time", body = AssistedAccount),
        (status = 404, description = "`agent_not_found`: not one of the caller's agents"),
        (status = 409, description = "`account_exists`: the phone has an account"),
        (status = 410, description = "`onboarding_campaign_closed` or `onboarding_campaign_ended`"),
        (status = 422, description = "`validation_failed`: phone, name, consent, or an inactive agent"),
        (status = 429, description = "`rate_limited`: the allowance a minute of the person, device (`Device-Id`) or address is spent; or `sms_limit_phone`: the phone has had `CDS_SMS_PER_PHONE_PER_DAY` texts today (Vietnam time); with `Retry-After`"),
        (status = 503, description = "`sms_unavailable`: no SMS gateway is configured (`CDS_SMS=off`), so no code could be sent; or `sms_limit_daily`: the deployment has sent `CDS_SMS_PER_DAY` texts today, with `Retry-After`"),
    ))]
pub async fn assisted_sign_up(
    req: HttpRequest,
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<AssistedSignUpRequest>,
) -> Result<HttpResponse, AppError> {
    // Each sign-up sends a text message: counted against the volunteer.
    limit(&state, &req, Action::Onboarding, &[("volunteer", current.user.id.as_str())]).await?;
    let request = body.0.parse()?;
    ensure_texts_can_be_sent(&state)?;
    let unusable = state.passwords.unusable_hash();
    let volunteer = current.user.id.clone();
    let app = state.clone();
    let assisted = state
        .db
        .run(move |conn| assisted::sign_up(conn, &app.secrets, app.settings.sms_limits, &volunteer, &request, unusable))
        .await?;
    state.outbox_wake.notify_one();
    let account = AssistedAccount {
        activation_sent_to: assisted.user.phone.clone().unwrap_or_default(),
        user: crate::accounts::User::try_from(&assisted.user)?,
    };
    Ok(if assisted.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(account))
}

/// A new activation code for a neighbour's account the volunteer opened and that is not activated yet
/// (the message was lost, or the code expired). The earlier code stops working.
#[utoipa::path(post, path = "/api/v1/onboarding/assisted/resend", tag = "onboarding", operation_id = "resendActivationCode",
    security(("bearer" = [])), request_body = ResendRequest, params(DeviceIdHeader),
    responses(
        (status = 202, description = "A new code is on its way", body = AssistedAccount),
        (status = 404, description = "`agent_not_found` (not the caller's), or `user_not_found`: no account of this agent waits for activation with this phone"),
        (status = 422, description = "`validation_failed`: phone"),
        (status = 429, description = "`rate_limited`: the allowance a minute of the person, device (`Device-Id`) or address is spent; or `sms_limit_phone`: the phone has had `CDS_SMS_PER_PHONE_PER_DAY` texts today (Vietnam time); with `Retry-After`"),
        (status = 503, description = "`sms_unavailable`: no SMS gateway is configured (`CDS_SMS=off`); or `sms_limit_daily`: the deployment has sent `CDS_SMS_PER_DAY` texts today, with `Retry-After`"),
    ))]
pub async fn resend_activation(
    req: HttpRequest,
    current: CurrentUser,
    state: web::Data<AppState>,
    body: Json<ResendRequest>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::Onboarding, &[("volunteer", current.user.id.as_str())]).await?;
    let ResendRequest { agent_id, phone } = body.0;
    let phone = PhoneNumber::parse(&phone, "phone")?;
    ensure_texts_can_be_sent(&state)?;
    let volunteer = current.user.id.clone();
    let app = state.clone();
    let user = state
        .db
        .run(move |conn| assisted::resend(conn, &app.secrets, app.settings.sms_limits, &volunteer, &agent_id, &phone))
        .await?;
    state.outbox_wake.notify_one();
    let account = AssistedAccount {
        activation_sent_to: user.phone.clone().unwrap_or_default(),
        user: crate::accounts::User::try_from(&user)?,
    };
    Ok(HttpResponse::Accepted().json(account))
}

/// The neighbour sets their password with the activation code (once) and is signed in.
#[utoipa::path(post, path = "/api/v1/onboarding/activate", tag = "onboarding", operation_id = "activateAccount",
    request_body = ActivateRequest, params(DeviceIdHeader),
    responses(
        (status = 200, description = "Activated and signed in", body = TokenResponse),
        (status = 400, description = "`invalid_token`: wrong, used or expired code (or no such account)"),
        (status = 422, description = "`validation_failed`: phone or password"),
        (status = 429, description = "`rate_limited` or `login_locked`, with `Retry-After`"),
    ))]
pub async fn activate(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ActivateRequest>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Action::Onboarding, &[("phone", &body.0.phone)]).await?;
    let ActivateRequest { phone, code, password } = body.0;
    let mut errors = FieldErrors::default();
    let phone = errors.check(PhoneNumber::parse(&phone, "phone"));
    let password = errors.check(Password::parse(password, "password"));
    errors.finish()?;
    let (phone, password) = (phone.expect("checked"), password.expect("checked"));
    let hash = state.passwords.hash(&password).await?;
    let app = state.clone();
    let (user, refresh_token) =
        state.db.run(move |conn| assisted::activate(conn, &app.secrets, &phone, &code, hash)).await?;
    Ok(HttpResponse::Ok().json(token_response(&state, &user, refresh_token)?))
}
