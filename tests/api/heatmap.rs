//! Heatmaps: public reports for anyone, the jurisdiction's (private ones too) for its officials, with
//! the share overdue; squares as fine as the zoom.

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    the_public_heatmap_counts_public_reports_per_square,
    officials_see_their_jurisdictions_heatmap_with_what_is_overdue,
);

const VIETNAM: &str = "102.0,8.0,110.0,23.5";
const AROUND_DA_LAT: &str = "108.40,11.85,108.50,11.95";

async fn the_public_heatmap_counts_public_reports_per_square(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let near = (DA_LAT.0 + 0.001, DA_LAT.1 + 0.001);
    for (place, fields) in [
        (DA_LAT, json!({})),
        (near, json!({"category": "waste"})),
        (DA_LAT, json!({"is_public": false})),
        (SAI_GON, json!({})),
    ] {
        app.file_report(&citizen, &report_at(place, fields)).await;
    }
    let country = app.get_json(&format!("/api/v1/reports/heatmap?bbox={VIETNAM}&zoom=6")).await;
    assert_eq!(country["total"], 3, "public reports only: {country}");
    assert_eq!(country["squares"].as_array().unwrap().len(), 2, "Đà Lạt and Sài Gòn: {country}");
    assert!((country["size_deg"].as_f64().unwrap() - 2.56).abs() < 1e-9);

    let city = app.get_json(&format!("/api/v1/reports/heatmap?bbox={AROUND_DA_LAT}&zoom=15")).await;
    let squares = city["squares"].as_array().unwrap();
    assert_eq!(squares.len(), 1, "both in one 0.01° square: {city}");
    assert_eq!((squares[0]["count"].as_i64(), squares[0]["overdue"].as_i64()), (Some(2), Some(0)));
    let (lat, lon) = (squares[0]["min_lat"].as_f64().unwrap(), squares[0]["min_lon"].as_f64().unwrap());
    assert!(lat <= DA_LAT.0 && DA_LAT.0 < lat + 0.01 && lon <= DA_LAT.1 && DA_LAT.1 < lon + 0.01, "{city}");
    let waste = app.get_json(&format!("/api/v1/reports/heatmap?bbox={AROUND_DA_LAT}&zoom=15&category=waste")).await;
    assert_eq!(waste["total"], 1);

    for (query, field) in [
        (format!("bbox={VIETNAM}&zoom=14"), "bbox"),
        (format!("bbox={VIETNAM}&zoom=23"), "zoom"),
        ("bbox=108.5,11.9,108.4,12.0&zoom=12".to_string(), "bbox"),
    ] {
        let problem =
            assert_problem(app.get(&format!("/api/v1/reports/heatmap?{query}")).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    assert_problem(app.get(&format!("/api/v1/reports/heatmap?bbox={VIETNAM}")).await, 422, "validation_failed").await;
}

async fn officials_see_their_jurisdictions_heatmap_with_what_is_overdue(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let public = app.file_report(&citizen, &report_at(DA_LAT, json!({"category": "waste"}))).await;
    let private = app.file_report(&citizen, &report_at(DA_LAT, json!({"is_public": false}))).await;
    let elsewhere = app.file_report(&citizen, &report_at(SAI_GON, json!({}))).await;
    let ward = app.official_of(&admin, &public.organization_id, "phuong@dalat.gov.vn", "vi").await;
    let accepted = app.acted(&ward, &public.id, json!({"action": "accept"})).await;

    let path = format!("/api/v1/admin/stats/heatmap?bbox={VIETNAM}&zoom=6");
    let mine: Value = app.get_json_as(&ward.token, &path).await;
    assert_eq!(mine["total"], 2, "the ward's two, private included, not Sài Gòn's: {mine}");
    assert_eq!(mine["squares"][0]["overdue"], 0);
    // Once the untouched report's triage is overdue, half the square is; once the accepted one's
    // resolution is too, all of it.
    let overdue_at = |due: chrono::DateTime<chrono::Utc>| (due + chrono::Duration::minutes(1)).to_rfc3339();
    let later = app.at(&overdue_at(private.due_at.unwrap())).await;
    let then: Value = later.get_json_as(&ward.token, &path).await;
    let square = &then["squares"][0];
    assert_eq!((square["overdue"].as_i64(), square["overdue_share"].as_f64()), (Some(1), Some(0.5)), "{then}");
    let later = app.at(&overdue_at(accepted.due_at.unwrap())).await;
    let then: Value = later.get_json_as(&ward.token, &path).await;
    assert_eq!(then["squares"][0]["overdue"], 2);

    let saigon = app.official_of(&admin, &elsewhere.organization_id, "phuong@hcm.gov.vn", "vi").await;
    let theirs: Value = app.get_json_as(&saigon.token, &path).await;
    assert_eq!(theirs["total"], 1, "another ward's reports are not counted: {theirs}");
    let filtered: Value = app.get_json_as(&ward.token, &format!("{path}&category=waste&status=accepted")).await;
    assert_eq!(filtered["total"], 1);
    assert_problem(app.get_as(&citizen.token, &path).await, 403, "forbidden").await;
    assert_problem(app.get_as(&ward.token, &format!("{path}&status=lost")).await, 422, "validation_failed").await;
}
