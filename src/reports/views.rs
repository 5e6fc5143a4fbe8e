//! Reports as the API shows them: reporters' names where not anonymous, photos, support, distance;
//! officials also see whom each is assigned to.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::row::ReportRow;
use super::{Report, ReportPosition, Reporter};
use crate::db::schema::{organizations, report_supports, reports, users};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::routing::Position;
use crate::values::{ReportId, UserId};

/// Reports as the officials who handle them see them: the public view, plus whom each is assigned to.
pub fn official_views(conn: &mut DbConnection, rows: &[ReportRow], public_url: &str) -> Result<Vec<Report>, AppError> {
    let mut views = views(conn, rows, None, None, public_url)?;
    for (view, row) in views.iter_mut().zip(rows) {
        view.assignee_id = row.assignee_id.clone();
    }
    Ok(views)
}

/// The API view of rows, for `viewer`: reporters' names where not anonymous, and what the viewer supports.
pub fn views(
    conn: &mut DbConnection,
    rows: &[ReportRow],
    viewer: Option<&UserId>,
    near: Option<Position>,
    public_url: &str,
) -> Result<Vec<Report>, AppError> {
    // The reporter's photos, and the officials' photos of the result, per report.
    let mut photos: HashMap<(ReportId, bool), Vec<crate::media::Media>> = HashMap::new();
    for row in crate::media::of_reports(conn, &rows.iter().map(|r| &r.id).collect::<Vec<_>>())? {
        let Some(report_id) = row.report_id.clone() else { continue };
        let key = (report_id, row.event_id.is_some());
        photos.entry(key).or_default().push(crate::media::Media::of(&row, public_url));
    }
    // The reporters' names (of accounts not deleted) and the handling offices' names, in one read.
    let mut names: HashMap<ReportId, (Option<String>, Option<String>)> = HashMap::new();
    if !rows.is_empty() {
        let reporter = users::table.on(users::id.eq(reports::reporter_id).and(users::deleted_at.is_null()));
        let office = organizations::table.on(organizations::id.nullable().eq(reports::organization_id));
        let found: Vec<(ReportId, Option<String>, Option<String>)> = reports::table
            .filter(reports::id.eq_any(rows.iter().map(|r| &r.id)))
            .left_join(reporter)
            .left_join(office)
            .select((reports::id, users::full_name.nullable(), organizations::name.nullable()))
            .load(conn)?;
        names.extend(found.into_iter().map(|(id, reporter, office)| (id, (reporter, office))));
    }
    // One cannot support one's own report: only the others' are looked up.
    let others: Vec<&ReportId> = rows.iter().filter(|r| Some(&r.reporter_id) != viewer).map(|r| &r.id).collect();
    let supported: HashSet<ReportId> = match viewer {
        Some(viewer) if !others.is_empty() => report_supports::table
            .filter(report_supports::user_id.eq(viewer))
            .filter(report_supports::report_id.eq_any(others))
            .select(report_supports::report_id)
            .load::<ReportId>(conn)?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };
    rows.iter()
        .map(|row| {
            Ok(Report {
                id: row.id.clone(),
                status: row.status()?,
                category: row.category_code.clone(),
                description: row.description.clone(),
                position: ReportPosition { lat: row.lat, lon: row.lon, accuracy_m: row.accuracy_m },
                address_text: row.address_text.clone(),
                unit_code: row.unit_code.clone(),
                unit_approximate: row.unit_approximate,
                media: photos.remove(&(row.id.clone(), false)).unwrap_or_default(),
                result_media: photos.remove(&(row.id.clone(), true)).unwrap_or_default(),
                is_public: row.is_public,
                is_anonymous: row.is_anonymous,
                urgent: row.urgent,
                reporter: names
                    .get(&row.id)
                    .and_then(|(reporter, _)| reporter.clone())
                    .filter(|_| !row.is_anonymous)
                    .map(|display_name| Reporter { display_name }),
                supporters: row.supporters,
                is_mine: viewer == Some(&row.reporter_id),
                supported_by_me: supported.contains(&row.id),
                captured_at: row.captured_at.map(|t| t.and_utc()),
                received_at: row.created_at.and_utc(),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
                due_at: row.due_at.map(|t| t.and_utc()),
                organization_id: row.organization_id.clone(),
                organization_name: names.get(&row.id).and_then(|(_, office)| office.clone()),
                assignee_id: None,
                resolved_at: row.resolved_at.map(|t| t.and_utc()),
                escalated_at: row.escalated_at.map(|t| t.and_utc()),
                resolved_on_time: row.resolved_on_time,
                closes_at: row.closes_at.map(|t| t.and_utc()),
                review_requested_at: row.review_requested_at.map(|t| t.and_utc()),
                rating: row.rating_score.zip(row.rated_at).map(|(score, at)| super::Rating {
                    score,
                    comment: row.rating_comment.clone(),
                    rated_at: at.and_utc(),
                }),
                distance_m: near.map(|p| (row.distance_m(p) * 10.0).round() / 10.0),
            })
        })
        .collect()
}
