//! Representative responses, whole, as snapshots in `snapshots/`: what an app reads, field by field.
//! Ids, times and cursors are replaced by their field's name first, so one snapshot holds on SQLite and
//! PostgreSQL. A changed response fails its test with a diff; when the change is meant, run the test
//! again with `INSTA_UPDATE=always` and commit the new `.snap` file.

use serde_json::{json, Value};

use crate::common::{assert_problem, redacted, report_at, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(a_report_as_its_reporter_sees_it, an_officials_inbox, a_problem_in_vietnamese);

async fn a_report_as_its_reporter_sees_it(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({"captured_at": "2026-01-02T03:04:05Z"}))).await;
    let official = app.official_of(&admin, &report.organization_id, "canbo@dalat.gov.vn", "vi").await;
    for action in [
        json!({"action": "accept"}),
        json!({"action": "comment", "note": "Ghi chú nội bộ."}),
        json!({"action": "comment", "note": "Đã cử người kiểm tra.", "public": true}),
        json!({"action": "start"}),
    ] {
        app.acted(&official, &report.id, action).await;
    }
    let seen: Value = app.get_json_as(&citizen.token, &format!("/api/v1/reports/{}", report.id)).await;
    insta::assert_json_snapshot!("report_as_its_reporter_sees_it", redacted(seen));
}

async fn an_officials_inbox(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let waste = json!({"category": "waste", "description": "Rác chưa được thu gom."});
    let waste = app.file_report(&citizen, &report_at(DA_LAT, waste)).await;
    app.file_report(&citizen, &report_at(DA_LAT, json!({"urgent": true}))).await;
    let official = app.official_of(&admin, &waste.organization_id, "canbo@dalat.gov.vn", "vi").await;
    app.acted(&official, &waste.id, json!({"action": "accept"})).await;
    app.acted(&official, &waste.id, json!({"action": "assign", "assignee_id": official.id})).await;
    let inbox: Value = app.get_json_as(&official.token, "/api/v1/admin/reports").await;
    insta::assert_json_snapshot!("officials_inbox", redacted(inbox));
}

async fn a_problem_in_vietnamese(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let body = report_at((91.0, 108.443), json!({"description": "hỏng"}));
    let refused = app.post_report(&citizen.token, "a-bad-report-1", &body).await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    insta::assert_json_snapshot!("problem_in_vietnamese", problem);
}
