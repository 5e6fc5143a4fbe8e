//! The IOC's figures over a month of reports whose every step happened at a chosen moment, each figure
//! computed here from the plan of what happened; the same month read from its monthly sums and, from
//! its days, from the reports themselves; the scorecard and its CSV; and who may see which figures.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, sign_up, Official, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    the_figures_of_a_month_are_those_of_what_happened_in_it,
    figures_are_scoped_like_the_inbox,
    adoption_counts_each_communes_residents_against_its_population,
);

const T0: &str = "2026-03-02T08:00:00+07:00";

fn at(minutes: i64) -> String {
    let t0: DateTime<Utc> = T0.parse().unwrap();
    (t0 + Duration::minutes(minutes)).to_rfc3339()
}

const HOUR: i64 = 60;
const DAY: i64 = 24 * HOUR;

/// The nearest-rank percentile of `minutes`, as the figures define it.
fn percentile(mut minutes: Vec<i64>, share: f64) -> i64 {
    minutes.sort();
    let rank = (share * minutes.len() as f64).ceil() as usize;
    minutes[rank.max(1) - 1]
}

/// Durations are read from buckets within 1 % of the exact value (exact under an hour), in whole minutes.
fn assert_minutes(figure: &Value, exact: i64) {
    let read = figure.as_i64().unwrap_or_else(|| panic!("minutes expected, got {figure}"));
    assert!((read - exact).abs() as f64 <= 0.01 * exact as f64 + 0.5, "{read} minutes for an exact {exact}");
}

struct Month {
    ward: Official,
    ids: Vec<String>,
}

/// Five reports filed in Đà Lạt at T0 (A–E), one withdrawn, one in Sài Gòn, one in April; then:
/// A accepted after 30 min, started after 1 h, resolved after 1 day, reopened, resolved after 2 days,
/// rated 5; B accepted after 90 min, resolved after 2 days, rated 2; C accepted after 150 min, started
/// after 3 h, resolved late after 30 days; D accepted after 4 h and left; E (waste) never touched. The
/// deadline worker runs on 22 March: C, D and E are overdue then.
async fn seed(app: &TestApp) -> Month {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let filing = app.at(T0).await;
    let mut ids = Vec::new();
    let mut organization = String::new();
    for fields in [json!({}), json!({}), json!({}), json!({}), json!({"category": "waste"})] {
        let report = filing.file_report(&citizen, &report_at(DA_LAT, fields)).await;
        organization = report.organization_id.clone();
        ids.push(report.id);
    }
    let withdrawn = filing.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let withdraw = format!("/api/v1/reports/{}/withdraw", withdrawn.id);
    assert_eq!(filing.post_json_as(&citizen.token, &withdraw, &json!({})).await.status(), 200);
    filing.file_report(&citizen, &report_at(SAI_GON, json!({}))).await;
    let ward = app.official_of(&admin, &organization, "phuong@dalat.gov.vn", "vi").await;

    let (a, b, c, d) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let resolve = || json!({"action": "resolve", "note": "Đã xử lý."});
    let steps: Vec<(i64, &String, Value)> = vec![
        (30, a, json!({"action": "accept"})),
        (HOUR, a, json!({"action": "start"})),
        (90, b, json!({"action": "accept"})),
        (150, c, json!({"action": "accept"})),
        (3 * HOUR, c, json!({"action": "start"})),
        (4 * HOUR, d, json!({"action": "accept"})),
        (DAY, a, resolve()),
        (2 * DAY, a, resolve()),
        (2 * DAY, b, resolve()),
    ];
    for (minutes, id, action) in steps {
        let then = app.at(&at(minutes)).await;
        then.acted(&ward, id, action).await;
        if minutes == DAY {
            let reopen = json!({"reason": "Vẫn còn ngập."});
            let reopened = then.post_json_as(&citizen.token, &format!("/api/v1/reports/{a}/reopen"), &reopen).await;
            assert_eq!(reopened.status(), 200);
        }
    }
    let rating = app.at(&at(2 * DAY + HOUR)).await;
    for (id, score) in [(a, 5), (b, 2)] {
        let rated = rating
            .post_json_as(&citizen.token, &format!("/api/v1/reports/{id}/rating"), &json!({"score": score}))
            .await;
        assert_eq!(rated.status(), 200);
    }
    let run = app.run_deadlines_at(at(20 * DAY).parse().unwrap()).await;
    assert_eq!(run.escalated, 4, "C, D, E and Sài Gòn's: {run:?}");
    app.at(&at(30 * DAY)).await.acted(&ward, c, resolve()).await;
    app.at(&at(35 * DAY)).await.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    Month { ward, ids }
}

async fn the_figures_of_a_month_are_those_of_what_happened_in_it(app: TestApp) {
    let Month { ward, ids } = seed(&app).await;
    let march: Value = app.get_json_as(&ward.token, "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31").await;
    let total = &march["total"];
    assert_eq!(total["received"], 5, "A–E; not the withdrawn one, Sài Gòn's or April's: {march}");
    let statuses = json!({"submitted": 1, "accepted": 1, "in_progress": 0, "waiting_for_citizen": 0,
        "resolved": 1, "closed": 2, "rejected": 0});
    assert_eq!(total["by_status"], statuses);
    assert_eq!(total["by_category"], json!({"drainage_flooding": 4, "waste": 1}));
    assert_eq!(total["by_channel"], json!({"app": 5}));

    let handled = &total["handled"];
    assert_eq!((handled["resolved"].as_i64(), handled["on_time"].as_i64()), (Some(3), Some(2)), "A, B; C late");
    assert_eq!(handled["resolved_share"], 3.0 / 5.0);
    assert_eq!(handled["on_time_share"], 2.0 / 3.0);
    assert_eq!(handled["escalated"], 3);
    assert_eq!(handled["overdue_now"], 2, "D and E are still open, long past due");

    let times = &total["times"];
    let to_accept = vec![30, 90, 150, 4 * HOUR];
    let to_start = vec![HOUR, 3 * HOUR];
    let to_resolve = vec![2 * DAY, 2 * DAY, 30 * DAY];
    for (step, minutes) in [("accept", to_accept), ("start", to_start), ("resolve", to_resolve)] {
        assert_eq!(times[step]["count"], minutes.len(), "{step}");
        assert_minutes(&times[step]["median_minutes"], percentile(minutes.clone(), 0.5));
        assert_minutes(&times[step]["p90_minutes"], percentile(minutes, 0.9));
    }

    let satisfaction = &total["satisfaction"];
    assert_eq!(satisfaction["rated"], 2);
    assert_eq!(satisfaction["mean"], (5.0 + 2.0) / 2.0);
    assert_eq!(satisfaction["satisfied_share"], 1.0 / 2.0);
    assert_eq!(satisfaction["rated_share"], 2.0 / 3.0);
    assert_eq!(
        (satisfaction["reopened"].as_i64(), satisfaction["reopened_share"].as_f64()),
        (Some(1), Some(1.0 / 3.0))
    );

    let daily = march["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 31);
    let day = |date: &str| daily.iter().find(|d| d["date"] == date).unwrap().clone();
    assert_eq!(day("2026-03-02"), json!({"date": "2026-03-02", "received": 5, "resolved": 0, "overdue": 0}));
    assert_eq!(day("2026-03-04")["resolved"], 2, "A (again) and B; C is resolved in April");
    assert_eq!(day("2026-03-22")["overdue"], 3);
    let sums: Vec<i64> = ["received", "resolved", "overdue"]
        .iter()
        .map(|k| daily.iter().map(|d| d[k].as_i64().unwrap()).sum())
        .collect();
    assert_eq!(sums, [5, 2, 3]);

    // The same reports read from their days rather than the month's sums, or by the IOC from the
    // commune's one-row month: the same figures.
    let days: Value = app.get_json_as(&ward.token, "/api/v1/admin/stats?from=2026-03-02&to=2026-03-30").await;
    assert_eq!(days["total"], march["total"]);
    let admin = app.admin_token().await;
    let ioc = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    let province: Value = app.get_json_as(&ioc.token, "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31").await;
    assert_eq!(province["total"], march["total"]);
    assert_eq!(province["daily"], march["daily"]);
    let province_days: Value = app.get_json_as(&ioc.token, "/api/v1/admin/stats?from=2026-03-02&to=2026-03-30").await;
    assert_eq!(province_days["total"], march["total"], "from the commune's daily sums");
    let per_category: Value =
        app.get_json_as(&ioc.token, "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31&group_by=category").await;
    assert_eq!(per_category["total"], march["total"]);
    // A change shows at the next look (the month's sums are computed again).
    app.acted(&ward, &ids[4], json!({"action": "accept"})).await;
    let again: Value = app.get_json_as(&ward.token, "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31").await;
    assert_eq!(
        (again["total"]["by_status"]["submitted"].as_i64(), again["total"]["times"]["accept"]["count"].as_i64()),
        (Some(0), Some(5))
    );

    // The scorecard per category, worst on-time share first, and as CSV.
    let path = "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31&group_by=category&sort=received&order=asc";
    let scorecard: Value = app.get_json_as(&ward.token, path).await;
    let groups = scorecard["groups"].as_array().unwrap();
    let rows: Vec<(&str, i64)> =
        groups.iter().map(|g| (g["key"].as_str().unwrap(), g["figures"]["received"].as_i64().unwrap())).collect();
    assert_eq!(rows, [("waste", 1), ("drainage_flooding", 4)]);
    assert_eq!(groups[0]["name"], "Rác thải, vệ sinh môi trường");
    assert_eq!(groups[1]["figures"]["handled"]["overdue_now"], 1);
    let csv = app.get_as(&ward.token, &format!("{path}&format=csv")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = csv.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, "attachment; filename=\"congdanso-stats-2026-03-01-2026-03-31.csv\"");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("key,name,received,resolved,resolved_share,on_time,on_time_share,overdue_now"),
        "{text}"
    );
    assert!(lines[1].starts_with("waste,"), "{text}");
    assert!(lines[2].starts_with(r#"drainage_flooding,"Thoát nước, ngập úng",4,3,0.7500,2,0.6667,1,2,"#), "{text}");
    assert!(lines[3].starts_with("total,Tổng,5,3,0.6000,2,0.6667,1,3,"), "{text}");
}

async fn figures_are_scoped_like_the_inbox(app: TestApp) {
    let Month { ward, .. } = seed(&app).await;
    let admin = app.admin_token().await;
    let march = "/api/v1/admin/stats?from=2026-03-01&to=2026-03-31";
    let received = |stats: &Value| stats["total"]["received"].as_i64().unwrap();

    let ioc = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    let province: Value = app.get_json_as(&ioc.token, march).await;
    assert_eq!(received(&province), 5, "the IOC sees Lâm Đồng's, not Sài Gòn's");
    let everything: Value = app.get_json_as(&admin, march).await;
    assert_eq!(received(&everything), 6, "an administrator sees every province served");
    let lam_dong: Value = app.get_json_as(&admin, &format!("{march}&province=68&group_by=unit")).await;
    assert_eq!(received(&lam_dong), 5);
    assert_eq!(lam_dong["groups"].as_array().unwrap().len(), 1);

    // A ward official's filters cannot reach beyond the ward.
    let unit = lam_dong["groups"][0]["key"].as_str().unwrap().to_string();
    let mine: Value = app.get_json_as(&ward.token, &format!("{march}&unit={unit}&province=68")).await;
    assert_eq!(received(&mine), 5);
    let everything_saigon: Value = app.get_json_as(&admin, &format!("{march}&province=79&group_by=organization")).await;
    let saigon_office = everything_saigon["groups"][0]["key"].as_str().unwrap().to_string();
    let saigon_unit = app.get_json_as::<Value>(&admin, &format!("{march}&province=79&group_by=unit")).await["groups"]
        [0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    for filter in [format!("unit={saigon_unit}"), format!("organization={saigon_office}"), "province=79".into()] {
        assert_problem(app.get_as(&ward.token, &format!("{march}&{filter}")).await, 403, "forbidden").await;
        assert_problem(app.get_as(&ioc.token, &format!("{march}&{filter}")).await, 403, "forbidden").await;
    }
    let saigon = app.official_of(&admin, &saigon_office, "phuong@hcm.gov.vn", "vi").await;
    let theirs: Value = app.get_json_as(&saigon.token, march).await;
    assert_eq!(received(&theirs), 1);
    assert_problem(app.get_as(&saigon.token, &format!("{march}&unit={unit}")).await, 403, "forbidden").await;

    let citizen = app.citizen("0987654321").await;
    assert_problem(app.get_as(&citizen.token, march).await, 403, "forbidden").await;
    assert_problem(app.get(march).await, 401, "unauthenticated").await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("from=2026-03-31&to=2026-03-01", "to"),
        ("from=2024-01-01&to=2026-03-01", "to"),
        ("group_by=ward", "group_by"),
        ("sort=fastest", "sort"),
        ("format=xlsx", "format"),
        ("unit=99999", "unit"),
        ("category=potholes", "category"),
        ("province=99", "province"),
    ] {
        let problem = assert_problem(
            app.get_as(&ward.token, &format!("/api/v1/admin/stats?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
}

async fn adoption_counts_each_communes_residents_against_its_population(app: TestApp) {
    let admin = app.admin_token().await;
    // Filed in Đà Lạt today: an active citizen of its commune.
    let filer = app.citizen("0912345678").await;
    let report = app.file_report(&filer, &report_at(DA_LAT, json!({}))).await;
    let commune = report.unit_code.clone();
    // Signed up through a drive in the same commune, nothing filed: counted there, not active.
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let drive = json!({"name": "Đi từng ngõ, gõ từng nhà", "unit_code": commune, "starts_on": today.to_string(),
        "ends_on": (today + Duration::days(30)).to_string(), "target_signups": 10});
    let campaign: Value = app.post_json_as(&admin, "/api/v1/admin/campaigns", &drive).await.json().await.unwrap();
    let path = format!("/api/v1/admin/campaigns/{}/agents", campaign["id"].as_str().unwrap());
    let agent: Value = app.post_json_as(&admin, &path, &json!({"display_name": "Chị Lan"})).await.json().await.unwrap();
    app.register(sign_up(json!({"phone": "0987654321", "onboarding_code": agent["code"]}))).await;
    // Filed in Sài Gòn: another province's; signed up and never filed: in no commune.
    let elsewhere = app.citizen("0911111111").await;
    app.file_report(&elsewhere, &report_at(SAI_GON, json!({}))).await;
    app.citizen("0922222222").await;

    let population = format!("/api/v1/admin/units/{commune}/population");
    let body = json!({"adults": 8, "year": 2025, "source": "Niên giám thống kê 2025", "target_share": 0.5});
    let stored = app.put_json_as(&admin, &population, &body).await;
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.json::<Value>().await.unwrap(), body);

    let ioc = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    let adoption: Value = app.get_json_as(&ioc.token, "/api/v1/admin/stats/adoption?province=68&group_by=unit").await;
    let expected = json!({"citizens": 2, "verified": 0, "active": 1, "onboarding_signups": 1, "adults": 8,
        "signed_up_share": 2.0 / 8.0, "active_share": 1.0 / 8.0, "target_share": 0.5});
    assert_eq!(adoption["total"], expected, "{adoption}");
    let units = adoption["units"].as_array().unwrap();
    assert!(units.len() > 100, "every commune of Lâm Đồng is listed");
    let row = units.iter().find(|u| u["unit_code"] == commune.as_str()).unwrap();
    assert_eq!((&row["figures"], &row["population"]), (&expected, &body));
    let other = units.iter().find(|u| u["unit_code"] != commune.as_str()).unwrap();
    assert_eq!(other["figures"]["citizens"], 0);
    assert_eq!(other["population"], Value::Null);

    // Scoped: the ward sees its commune; Sài Gòn is not the IOC's; citizens see nothing.
    let ward = app.official_of(&admin, &report.organization_id, "phuong@dalat.gov.vn", "vi").await;
    let theirs: Value = app.get_json_as(&ward.token, "/api/v1/admin/stats/adoption?group_by=unit").await;
    assert_eq!(theirs["units"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["total"]["citizens"], 2);
    let everything: Value = app.get_json_as(&admin, "/api/v1/admin/stats/adoption").await;
    assert_eq!(everything["total"]["citizens"], 3, "placed in a commune: all but the one who never filed");
    assert!(everything.get("units").is_none());
    assert_problem(app.get_as(&ioc.token, "/api/v1/admin/stats/adoption?province=79").await, 403, "forbidden").await;
    assert_problem(app.get_as(&ward.token, "/api/v1/admin/stats/adoption?province=79").await, 403, "forbidden").await;
    assert_problem(app.get_as(&filer.token, "/api/v1/admin/stats/adoption").await, 403, "forbidden").await;
    assert_problem(
        app.get_as(&ioc.token, "/api/v1/admin/stats/adoption?group_by=ward").await,
        422,
        "validation_failed",
    )
    .await;

    // Only administrators enter populations, for communes that exist, with sound figures.
    assert_problem(app.put_json_as(&ioc.token, &population, &body).await, 403, "forbidden").await;
    assert_problem(app.put_json_as(&admin, "/api/v1/admin/units/99999/population", &body).await, 404, "unit_not_found")
        .await;
    assert_problem(app.put_json_as(&admin, "/api/v1/admin/units/68/population", &body).await, 404, "unit_not_found")
        .await;
    for (field, value) in
        [("adults", json!(0)), ("year", json!(1800)), ("source", json!(" ")), ("target_share", json!(1.5))]
    {
        let mut bad = body.clone();
        bad[field] = value;
        let problem = assert_problem(app.put_json_as(&admin, &population, &bad).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let default_target = json!({"adults": 8, "year": 2025, "source": "Niên giám thống kê 2025"});
    let stored: Value = app.put_json_as(&admin, &population, &default_target).await.json().await.unwrap();
    assert_eq!(stored["target_share"], 0.8);
}
