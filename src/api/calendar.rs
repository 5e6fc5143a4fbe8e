//! `/api/v1/calendar/{year}` (anybody) and `/api/v1/admin/calendar/{date}` (administrators): the working
//! calendar, and the days a notice announces.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extractors::{AdminOnly, AdminUser};
use crate::api::state::AppState;
use crate::calendar::store::{self, CalendarDayRow, DayEntry, NAME_CHARS, NOTICE_CHARS, REASON_CHARS};
use crate::calendar::{Source, SpecialDay};
use crate::error::{AppError, FieldErrors};
use crate::http::{cacheable_json, Json, Path, Query};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/calendar/{year}").route(web::get().to(get_year)))
        .service(web::resource("/admin/calendar/{date}").route(web::put().to(put_day)));
}

/// The time zone the calendar's days are in: a period ends at 24:00 of its last day there.
pub const TIME_ZONE: &str = "Asia/Ho_Chi_Minh";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Add this province's own days (a 2-digit province code) to the whole country's.
    #[param(example = "68")]
    province: Option<String>,
}

/// One day that differs from the Monday–Friday rule, or a holiday on a weekend.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    #[schema(example = "2027-02-08")]
    pub date: NaiveDate,
    /// Whether offices work that day.
    pub working: bool,
    #[schema(example = "Tết Nguyên Đán (mùng 3)")]
    pub name: String,
    pub source: Source,
    /// The notice that decided the day, for `source: notice`.
    #[schema(example = "9441/TB-BNV")]
    pub notice: Option<String>,
}

impl From<SpecialDay> for CalendarDay {
    fn from(day: SpecialDay) -> Self {
        CalendarDay { date: day.date, working: day.working, name: day.name, source: day.source, notice: day.notice }
    }
}

/// A year of the working calendar: every day outside Monday to Friday that offices work, every weekday
/// they do not, and the holidays that fall on a weekend.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYear {
    #[schema(example = 2027)]
    pub year: i32,
    /// The time zone of the days (UTC+7).
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: &'static str,
    /// In date order.
    pub days: Vec<CalendarDay>,
}

/// The working calendar of a year.
///
/// Monday to Friday are working days (Decision 188/1999/QĐ-TTg) except the listed days off; the listed
/// weekend days with `working: true` are worked. Holidays are computed by the Labour Code with their
/// compensatory days; the Ministry of Home Affairs' notice for the year, entered by an administrator, wins.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "calendar", operation_id = "getCalendar",
    params(("year" = i32, Path, description = "The year, 1900 to 2199", example = 2027), CalendarQuery),
    responses(
        (status = 200, description = "The year's special days", body = CalendarYear, headers(("ETag" = String))),
        (status = 304, description = "The app's cached copy (If-None-Match) is current"),
        (status = 404, description = "`route_not_found`: the year is not a number"),
        (status = 422, description = "`validation_failed`: `year` outside 1900–2199, a bad or unknown `province`, or an unknown parameter"),
    ))]
pub async fn get_year(
    req: HttpRequest,
    state: web::Data<AppState>,
    year: Path<i32>,
    query: Query<CalendarQuery>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let year = errors.check(store::parse_year(year.into_inner(), "year"));
    let province = query.into_inner().province.and_then(|raw| errors.check(store::parse_province(&raw, "province")));
    errors.finish()?;
    let year = year.ok_or_else(|| AppError::Internal("year parsed without value".into()))?;
    let days = state.db.run(move |conn| store::special_days(conn, year, province.as_ref())).await?;
    let days = days.into_iter().map(CalendarDay::from).collect();
    cacheable_json(&req, &CalendarYear { year, time_zone: TIME_ZONE, days })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayRequest {
    /// `false` for a day off, `true` for a worked day.
    pub working: bool,
    #[schema(example = "Ngày Văn hóa Việt Nam")]
    pub name: String,
    /// The number of the notice that announces the day.
    #[schema(example = "9441/TB-BNV")]
    pub notice: String,
    /// Why the day is entered, kept in the audit log.
    #[schema(example = "Nghỉ theo thông báo của Bộ Nội vụ về Ngày Văn hóa Việt Nam.")]
    pub reason: String,
    /// One province's own day (a 2-digit code); absent or null for the whole country.
    #[schema(example = "68")]
    pub province_code: Option<String>,
}

impl CalendarDayRequest {
    fn parse(self, date: &str) -> Result<DayEntry, AppError> {
        let mut errors = FieldErrors::default();
        let date = errors.check(store::parse_date(date, "date"));
        let province = self.province_code.and_then(|raw| errors.check(store::parse_province(&raw, "province_code")));
        let name = store::text_within(&self.name, NAME_CHARS, "name", &mut errors);
        let notice = store::text_within(&self.notice, NOTICE_CHARS, "notice", &mut errors);
        let reason = store::text_within(&self.reason, REASON_CHARS, "reason", &mut errors);
        errors.finish()?;
        let date = date.ok_or_else(|| AppError::Internal("date parsed without value".into()))?;
        Ok(DayEntry { date, province, working: self.working, name, notice, reason })
    }
}

/// A stored day of the calendar, as entered.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredCalendarDay {
    #[schema(example = "2026-11-24")]
    pub date: NaiveDate,
    /// The province whose own day it is; null for the whole country.
    #[schema(example = "68")]
    pub province_code: Option<String>,
    pub working: bool,
    pub name: String,
    pub notice: String,
    pub reason: String,
    /// The administrator who entered it; null for a day the server was seeded with.
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<CalendarDayRow> for StoredCalendarDay {
    fn from(row: CalendarDayRow) -> Self {
        StoredCalendarDay {
            date: row.date,
            province_code: row.province().map(str::to_string),
            working: row.working,
            name: row.name,
            notice: row.notice,
            reason: row.reason,
            updated_by: row.updated_by.map(|id| id.as_str().to_string()),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Enter a day the year's notice announces: a day off or a worked day, for the whole country or one
/// province. A day entered again is replaced. Each entry, with its reason, is written to the audit log.
#[utoipa::path(put, path = "/api/v1/admin/calendar/{date}", tag = "admin", operation_id = "putCalendarDay", security(("bearer" = [])),
    params(("date" = String, Path, description = "The day, `YYYY-MM-DD`, in 1900–2199", example = "2026-11-24")),
    request_body = CalendarDayRequest,
    responses(
        (status = 200, description = "The day as stored", body = StoredCalendarDay),
        AdminOnly,
        (status = 422, description = "`validation_failed`: a bad `date`, `name`, `notice` or `reason`, or an unknown `province_code`"),
    ))]
pub async fn put_day(
    admin: AdminUser,
    state: web::Data<AppState>,
    date: Path<String>,
    body: Json<CalendarDayRequest>,
) -> Result<HttpResponse, AppError> {
    let entry = body.0.parse(&date)?;
    let admin = admin.0.id().clone();
    let row = state.db.run(move |conn| store::set_day(conn, &entry, &admin)).await?;
    Ok(HttpResponse::Ok().json(StoredCalendarDay::from(row)))
}
