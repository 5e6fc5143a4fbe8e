//! The working calendar: the holidays the law gives, the days a notice announces, and the administrator
//! who enters a notice's days.

use serde_json::{json, Value};

use crate::common::{assert_problem, CalendarDay, TestApp};
use crate::on_both_databases;

on_both_databases!(
    the_2026_notice_is_in_the_calendar,
    tet_2027_is_computed_with_its_compensatory_days,
    an_administrator_enters_a_day_off,
    a_province_has_its_own_days,
    only_an_administrator_enters_days,
    bad_years_dates_and_entries_are_refused,
);

/// The day of `date` in `days`.
fn day<'a>(days: &'a [CalendarDay], date: &str) -> &'a CalendarDay {
    days.iter().find(|d| d.date == date).unwrap_or_else(|| panic!("{date} is not in the calendar"))
}

fn dates_off(days: &[CalendarDay], source: &str) -> Vec<String> {
    days.iter().filter(|d| !d.working && d.source == source).map(|d| d.date.clone()).collect()
}

/// Vietnamese Culture Day, 24 November: a day off as a notice might announce it.
fn culture_day() -> Value {
    json!({
        "working": false,
        "name": "Ngày Văn hóa Việt Nam",
        "notice": "1234/TB-BNV",
        "reason": "Nghỉ Ngày Văn hóa Việt Nam theo thông báo của Bộ Nội vụ.",
    })
}

async fn the_2026_notice_is_in_the_calendar(app: TestApp) {
    let days = app.calendar("/api/v1/calendar/2026").await;
    let notice = Some("9441/TB-BNV".to_string());
    let swapped = day(&days, "2026-01-02");
    assert_eq!((swapped.working, swapped.source.as_str(), &swapped.notice), (false, "notice", &notice));
    let worked = day(&days, "2026-01-10");
    assert_eq!((worked.working, worked.source.as_str(), &worked.notice), (true, "notice", &notice));
    assert!(day(&days, "2026-08-22").working);
    assert!(!day(&days, "2026-08-31").working);
    for tet in ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"] {
        let tet = day(&days, tet);
        assert_eq!((tet.working, tet.source.as_str()), (false, "statute"), "{tet:?}");
        assert!(tet.name.starts_with("Tết Nguyên Đán"), "{tet:?}");
    }
    assert_eq!(dates_off(&days, "compensatory"), ["2026-04-27"], "Giỗ Tổ falls on Sunday 26 April");
    assert_eq!(day(&days, "2026-09-01").source, "statute");
    let ordered: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    assert!(ordered.is_sorted(), "{ordered:?}");

    // The calendar is cacheable.
    let first = app.get("/api/v1/calendar/2026").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let cached = app.client.get(app.url("/api/v1/calendar/2026")).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
}

async fn tet_2027_is_computed_with_its_compensatory_days(app: TestApp) {
    let days = app.calendar("/api/v1/calendar/2027").await;
    let tet: Vec<&CalendarDay> = days.iter().filter(|d| d.name.starts_with("Tết Nguyên Đán")).collect();
    let tet: Vec<&str> = tet.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(tet, ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09"]);
    assert_eq!(day(&days, "2027-02-08").name, "Tết Nguyên Đán (mùng 3)");
    let compensatory = dates_off(&days, "compensatory");
    assert!(compensatory.starts_with(&["2027-02-10".to_string(), "2027-02-11".to_string()]), "{compensatory:?}");
    assert!(days.iter().all(|d| d.notice.is_none()), "no notice for 2027 yet");
}

async fn an_administrator_enters_a_day_off(app: TestApp) {
    let admin = app.admin_token().await;
    let response = app.put_calendar_day(&admin, "2026-11-24", &culture_day()).await;
    assert_eq!(response.status(), 200);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["date"], "2026-11-24");
    assert_eq!(stored["province_code"], Value::Null);
    assert_eq!((stored["working"].as_bool(), stored["notice"].as_str()), (Some(false), Some("1234/TB-BNV")));
    assert!(stored["updated_by"].is_string());

    let days = app.calendar("/api/v1/calendar/2026").await;
    let culture = day(&days, "2026-11-24");
    assert_eq!(
        (culture.name.as_str(), culture.working, culture.source.as_str()),
        ("Ngày Văn hóa Việt Nam", false, "notice")
    );

    // Entered again, the day is replaced, not doubled.
    let mut again = culture_day();
    again["name"] = json!("Ngày Văn hóa Việt Nam (sửa)");
    assert_eq!(app.put_calendar_day(&admin, "2026-11-24", &again).await.status(), 200);
    let days = app.calendar("/api/v1/calendar/2026").await;
    assert_eq!(days.iter().filter(|d| d.date == "2026-11-24").count(), 1);
    assert_eq!(day(&days, "2026-11-24").name, "Ngày Văn hóa Việt Nam (sửa)");

    let audited = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::audit_log;
            use diesel::prelude::*;
            Ok(audit_log::table
                .filter(audit_log::action.eq("calendar_override"))
                .select((audit_log::subject_type, audit_log::subject_id, audit_log::reason))
                .load::<(String, String, Option<String>)>(conn)?)
        })
        .await
        .unwrap();
    let reason = culture_day()["reason"].as_str().map(str::to_string);
    let entry = ("calendar_day".to_string(), "2026-11-24".to_string(), reason);
    assert_eq!(audited, [entry.clone(), entry]);
}

async fn a_province_has_its_own_days(app: TestApp) {
    let admin = app.admin_token().await;
    let liberation = json!({
        "working": false,
        "name": "Ngày giải phóng tỉnh",
        "notice": "15/TB-UBND",
        "reason": "Tỉnh cho nghỉ ngày giải phóng theo thông báo của Ủy ban nhân dân tỉnh.",
        "province_code": "68",
    });
    let response = app.put_calendar_day(&admin, "2026-04-03", &liberation).await;
    assert_eq!(response.status(), 200);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["province_code"], "68");

    let lam_dong = app.calendar("/api/v1/calendar/2026?province=68").await;
    assert_eq!(day(&lam_dong, "2026-04-03").name, "Ngày giải phóng tỉnh");
    assert_eq!(day(&lam_dong, "2026-01-02").notice.as_deref(), Some("9441/TB-BNV"), "with the country's days");
    for elsewhere in ["/api/v1/calendar/2026", "/api/v1/calendar/2026?province=79"] {
        let days = app.calendar(elsewhere).await;
        assert!(days.iter().all(|d| d.date != "2026-04-03"), "{elsewhere}");
    }

    // A province's own day wins over the country's on the same day.
    let mut worked = liberation.clone();
    worked["working"] = json!(true);
    worked["name"] = json!("Làm việc bình thường");
    assert_eq!(app.put_calendar_day(&admin, "2026-01-02", &worked).await.status(), 200);
    // A worked Friday is no special day: it leaves the province's list.
    let lam_dong = app.calendar("/api/v1/calendar/2026?province=68").await;
    assert!(lam_dong.iter().all(|d| d.date != "2026-01-02"), "{lam_dong:?}");
    assert!(!day(&app.calendar("/api/v1/calendar/2026").await, "2026-01-02").working);

    let unknown = app.get("/api/v1/calendar/2026?province=99").await;
    let problem = assert_problem(unknown, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "province");
    assert_eq!(problem["errors"][0]["code"], "unknown_province");
}

async fn only_an_administrator_enters_days(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let official =
        app.staff(&admin, json!({"email": "canbo@lamdong.gov.vn", "role": "official", "unit_code": "68"})).await;
    for token in [&citizen.token, &official.token] {
        assert_problem(app.put_calendar_day(token, "2026-11-24", &culture_day()).await, 403, "forbidden").await;
    }
    let anonymous = app.client.put(app.url("/api/v1/admin/calendar/2026-11-24")).json(&culture_day()).send().await;
    assert_problem(anonymous.unwrap(), 401, "unauthenticated").await;
    let days = app.calendar("/api/v1/calendar/2026").await;
    assert!(days.iter().all(|d| d.date != "2026-11-24"));
}

async fn bad_years_dates_and_entries_are_refused(app: TestApp) {
    for year in ["1899", "2200", "-1"] {
        let problem =
            assert_problem(app.get(&format!("/api/v1/calendar/{year}")).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "year", "{year}");
        assert_eq!(problem["errors"][0]["code"], "out_of_range", "{year}");
    }
    assert_problem(app.get("/api/v1/calendar/nam-nay").await, 404, "route_not_found").await;
    assert_problem(app.get("/api/v1/calendar/2026?tinh=68").await, 422, "validation_failed").await;

    let admin = app.admin_token().await;
    let refused = |date: &'static str, body: Value, field: &'static str, code: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let problem =
                assert_problem(app.put_calendar_day(admin, date, &body).await, 422, "validation_failed").await;
            let fields: Vec<(&str, &str)> = problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
                .collect();
            assert_eq!(fields, [(field, code)], "{date} {body}");
        }
    };
    let with = |field: &str, value: Value| {
        let mut body = culture_day();
        body[field] = value;
        body
    };
    for date in ["2026-11-31", "24-11-2026", "2026-1-24", "hom-nay"] {
        refused(date, culture_day(), "date", "invalid_value").await;
    }
    refused("1899-11-24", culture_day(), "date", "out_of_range").await;
    refused("2026-11-24", with("reason", json!("Nghỉ lễ")), "reason", "too_short").await;
    refused("2026-11-24", with("reason", json!("x".repeat(501))), "reason", "too_long").await;
    refused("2026-11-24", with("name", json!("  ")), "name", "required").await;
    refused("2026-11-24", with("name", json!("x".repeat(101))), "name", "too_long").await;
    refused("2026-11-24", with("notice", json!("x".repeat(51))), "notice", "too_long").await;
    refused("2026-11-24", with("province_code", json!("99")), "province_code", "unknown_province").await;
    refused("2026-11-24", with("province_code", json!("6")), "province_code", "invalid_unit_code").await;
    refused("2026-11-24", with("holiday", json!(true)), "holiday", "unknown_field").await;
    let days = app.calendar("/api/v1/calendar/2026").await;
    assert!(days.iter().all(|d| d.date != "2026-11-24"), "nothing refused was stored");
}
