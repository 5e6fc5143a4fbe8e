//! Filing and reading reports: idempotent retries, field errors, visibility, lists by place, support.

use serde_json::{json, Value};

use crate::common::{assert_problem, sign_up, Citizen, Report, Reports, TestApp, DA_LAT, PASSWORD, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    a_filed_report_lands_in_the_commune_of_its_position,
    the_same_key_twice_files_one_report,
    concurrent_retries_file_one_report,
    the_same_key_with_another_body_is_409,
    a_report_without_idempotency_key_is_400,
    bad_reports_name_their_fields,
    anonymous_reports_never_name_the_reporter,
    private_reports_are_seen_by_their_reporter_only,
    lists_filter_by_place_status_category_unit_text_and_time,
    similar_offers_open_reports_close_by,
    support_counts_once_per_person,
    only_the_reporter_withdraws_and_only_while_submitted,
    a_deleted_account_leaves_its_reports_anonymous,
);

fn report(lat: f64, lon: f64) -> Value {
    json!({
        "category": "street_lighting",
        "description": "Đèn đường trước nhà số 12 bị hỏng ba hôm nay.",
        "position": {"lat": lat, "lon": lon, "accuracy_m": 8.0},
        "address_text": "12 Trần Hưng Đạo",
    })
}

async fn a_filed_report_lands_in_the_commune_of_its_position(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let mut body = report(DA_LAT.0, DA_LAT.1);
    body["captured_at"] = json!("2026-01-02T03:04:05Z");
    let filed = app.post_report(&citizen.token, "a-filed-report-1", &body).await;
    assert_eq!(filed.status(), 201);
    let report: Value = filed.json().await.unwrap();
    assert_eq!(report["status"], "submitted");
    assert_eq!(report["category"], "street_lighting");
    let unit = app.get_json(&format!("/api/v1/units/{}", report["unit_code"].as_str().unwrap())).await;
    assert_eq!(unit["parent_code"], "68");
    assert_eq!(report["unit_approximate"], true);
    assert_eq!(report["position"]["accuracy_m"], 8.0);
    assert_eq!(report["captured_at"], "2026-01-02T03:04:05Z");
    assert_eq!(report["reporter"]["display_name"], "Nguyễn Văn An");
    assert_eq!(report["is_mine"], true);
    assert_eq!(report["timeline"][0]["kind"], "submitted");
    assert_eq!(report["timeline"][0]["to_status"], "submitted");

    let public = app.get_json(&format!("/api/v1/reports/{}", report["id"].as_str().unwrap())).await;
    assert_eq!(public["id"], report["id"]);
    assert_eq!(public["is_mine"], false);
}

async fn the_same_key_twice_files_one_report(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let body = report(DA_LAT.0, DA_LAT.1);
    let first = app.post_report(&citizen.token, "retry-key-0001", &body).await;
    assert_eq!(first.status(), 201);
    let first: Report = first.json().await.unwrap();
    let again = app.post_report(&citizen.token, "retry-key-0001", &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Report>().await.unwrap().id, first.id);
    assert_eq!(mine(&app, &citizen).await.items.len(), 1);
    // The key is the caller's own: another citizen may use the same string.
    let other = app.citizen("0987654321").await;
    assert_eq!(app.post_report(&other.token, "retry-key-0001", &body).await.status(), 201);
}

/// The citizen's own reports.
async fn mine(app: &TestApp, citizen: &Citizen) -> Reports {
    app.get_json_as(&citizen.token, "/api/v1/me/reports").await
}

async fn concurrent_retries_file_one_report(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let body = report(DA_LAT.0, DA_LAT.1);
    let attempts = (0..8).map(|_| app.post_report(&citizen.token, "concurrent-key-1", &body));
    let responses = futures_util::future::join_all(attempts).await;
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            200 => {}
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
        ids.insert(response.json::<Report>().await.unwrap().id);
    }
    assert_eq!((created, ids.len()), (1, 1));
    assert_eq!(mine(&app, &citizen).await.items.len(), 1);
}

async fn the_same_key_with_another_body_is_409(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let first = app.post_report(&citizen.token, "retry-key-0002", &report(DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(first.status(), 201);
    let mut changed = report(DA_LAT.0, DA_LAT.1);
    changed["description"] = json!("Một nội dung hoàn toàn khác.");
    let again = app.post_report(&citizen.token, "retry-key-0002", &changed).await;
    assert_problem(again, 409, "idempotency_key_reused").await;
}

async fn a_report_without_idempotency_key_is_400(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let response = app.post_json_as(&citizen.token, "/api/v1/reports", &report(DA_LAT.0, DA_LAT.1)).await;
    assert_problem(response, 400, "idempotency_key_required").await;
    let short_key = app.post_report(&citizen.token, "short", &report(DA_LAT.0, DA_LAT.1)).await;
    assert_problem(short_key, 400, "idempotency_key_required").await;
    let anonymous = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("Idempotency-Key", "k-123456789")
        .json(&report(DA_LAT.0, DA_LAT.1))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
}

async fn bad_reports_name_their_fields(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = report(DA_LAT.0, DA_LAT.1);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(&|b| b["position"]["lat"] = json!(91.0)), "position.lat", "out_of_range"),
        (with(&|b| b["position"] = json!({"lat": 0.0, "lon": 0.0})), "position", "null_position"),
        (with(&|b| b["position"] = json!({"lat": 13.0, "lon": 115.0})), "position", "outside_service_area"),
        (with(&|b| b["position"]["accuracy_m"] = json!(-1)), "position.accuracy_m", "out_of_range"),
        (with(&|b| b["category"] = json!("dragons")), "category", "unknown_category"),
        (with(&|b| b["urgent"] = json!(true)), "urgent", "urgent_not_allowed"),
        (with(&|b| b["media_ids"] = json!(["0190aaaa-0000-7000-8000-000000000000"])), "media_ids[0]", "unknown_media"),
        (with(&|b| b["media_ids"] = json!(["a", "b", "c", "d", "e", "f"])), "media_ids", "too_many"),
        (with(&|b| b["description"] = json!("hỏng")), "description", "too_short"),
        (with(&|b| b["description"] = json!("x".repeat(2001))), "description", "too_long"),
        (with(&|b| b["captured_at"] = json!("2099-01-01T00:00:00Z")), "captured_at", "in_the_future"),
        (with(&|b| b["reporter_id"] = json!("someone")), "reporter_id", "unknown_field"),
    ];
    for (body, field, code) in cases {
        let key = uuid::Uuid::now_v7().to_string();
        let problem =
            assert_problem(app.post_report(&citizen.token, &key, &body).await, 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{field}/{code}: {problem}");
    }
    assert!(mine(&app, &citizen).await.items.is_empty(), "nothing was filed");
}

async fn anonymous_reports_never_name_the_reporter(app: TestApp) {
    let citizen = app.register(sign_up(json!({"phone": "0912345678", "email": "an.nguyen@example.vn"}))).await;
    let mut body = report(DA_LAT.0, DA_LAT.1);
    body["is_anonymous"] = json!(true);
    let filed = app.post_report(&citizen.token, "anonymous-report-1", &body).await;
    assert_eq!(filed.status(), 201);
    let report: Value = filed.json().await.unwrap();
    assert_eq!(report["is_mine"], true, "the reporter still knows it is theirs");
    let id = report["id"].as_str().unwrap();
    let neighbour = app.citizen("0987654321").await;
    let public_views = [
        app.get_json(&format!("/api/v1/reports/{id}")).await,
        app.get_as(&neighbour.token, &format!("/api/v1/reports/{id}")).await.json().await.unwrap(),
        app.get_json("/api/v1/reports").await,
        app.get_json(&format!("/api/v1/reports?near={},{}", DA_LAT.0, DA_LAT.1)).await,
        app.get_json(&format!("/api/v1/reports/similar?lat={}&lon={}&category=street_lighting", DA_LAT.0, DA_LAT.1))
            .await,
    ];
    for view in public_views {
        let text = view.to_string();
        assert!(text.contains(id), "the report is listed: {text}");
        for secret in ["Nguyễn Văn An", "0912345678", "+84912345678", "an.nguyen@example.vn", citizen.id.as_str()] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
}

async fn private_reports_are_seen_by_their_reporter_only(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let mut body = report(DA_LAT.0, DA_LAT.1);
    body["is_public"] = json!(false);
    let id = app.file_report(&citizen, &body).await.id;
    let path = format!("/api/v1/reports/{id}");
    assert_eq!(app.get_as(&citizen.token, &path).await.status(), 200);
    let neighbour = app.citizen("0987654321").await;
    assert_problem(app.get_as(&neighbour.token, &path).await, 404, "report_not_found").await;
    assert_problem(app.get(&path).await, 404, "report_not_found").await;
    assert!(!app.get_json("/api/v1/reports").await.to_string().contains(&id));
    let support = app.post_json_as(&neighbour.token, &format!("{path}/support"), &json!({})).await;
    assert_problem(support, 404, "report_not_found").await;
    assert_problem(app.get("/api/v1/reports/not-a-report").await, 404, "report_not_found").await;
}

async fn lists_filter_by_place_status_category_unit_text_and_time(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let here = app.file_report(&citizen, &report(DA_LAT.0, DA_LAT.1)).await;
    let mut waste = report(DA_LAT.0 + 0.002, DA_LAT.1); // about 220 m north
    waste["category"] = json!("waste");
    waste["description"] = json!("Rác thải đổ bừa bãi ở đầu hẻm.");
    let waste = app.file_report(&citizen, &waste).await;
    let far = app.file_report(&citizen, &report(SAI_GON.0, SAI_GON.1)).await;
    let (here_id, waste_id, far_id) = (here.id.as_str(), waste.id.as_str(), far.id.as_str());

    assert_eq!(app.reports("").await.ids(), [far_id, waste_id, here_id], "newest first");

    let near = app.reports(&format!("?near={},{}&radius_m=500", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(near.ids(), [here_id, waste_id], "nearest first, the far one left out");
    let distance = near.items[1].distance_m.unwrap();
    assert!((200.0..240.0).contains(&distance), "{distance}");
    let close = app.reports(&format!("?near={},{}&radius_m=100", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(close.ids(), [here_id]);

    let paged = app.reports(&format!("?near={},{}&limit=1", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(paged.ids(), [here_id]);
    let cursor = paged.next_cursor.as_deref().unwrap();
    let next = app.reports(&format!("?near={},{}&limit=1&cursor={cursor}", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(next.ids(), [waste_id]);
    assert!(next.next_cursor.is_none());
    // Reports as far as each other page by id, none twice, none lost, even when one is filed between
    // two pages (a cursor is a distance and an id, not a count).
    let twin = app.file_report(&citizen, &report(DA_LAT.0, DA_LAT.1)).await;
    let first = app.reports(&format!("?near={},{}&limit=1", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(first.ids(), [twin.id.as_str()], "as near as `here`, and newer");
    let triplet = app.file_report(&citizen, &report(DA_LAT.0, DA_LAT.1)).await;
    let cursor = first.next_cursor.as_deref().unwrap();
    let rest = app.reports(&format!("?near={},{}&limit=5&cursor={cursor}", DA_LAT.0, DA_LAT.1)).await;
    assert_eq!(rest.ids(), [here_id, waste_id], "not {}: it sorts before the cursor", triplet.id);
    let stale = app.get(&format!("/api/v1/reports?near={},{}&cursor=5", DA_LAT.0, DA_LAT.1)).await;
    assert_problem(stale, 422, "validation_failed").await;
    for id in [&twin.id, &triplet.id] {
        app.post_json_as(&citizen.token, &format!("/api/v1/reports/{id}/withdraw"), &json!({})).await;
    }

    let page = app.reports("?limit=2").await;
    let rest = app.reports(&format!("?limit=2&cursor={}", page.next_cursor.as_deref().unwrap())).await;
    assert_eq!([page.ids(), rest.ids()].concat(), [far_id, waste_id, here_id]);

    assert_eq!(app.reports("?bbox=108.40,11.90,108.50,11.98").await.ids(), [waste_id, here_id]);
    let country = app.reports("?bbox=102.0,8.0,110.0,23.5").await;
    assert_eq!(country.items.len(), 3, "a large box is read by latitude range");

    assert_eq!(app.reports("?category=waste").await.ids(), [waste_id]);
    assert_eq!(app.reports("?q=RAC%20THAI").await.ids(), [waste_id]);
    // Anywhere in the text, and shorter than the index's three letters ("bua bai", "dau hem").
    assert_eq!(app.reports("?q=B%C3%A3i").await.ids(), [waste_id]);
    assert_eq!(app.reports("?q=u%20h").await.ids(), [waste_id]);
    assert_eq!(app.reports(&format!("?unit={}", far.unit_code)).await.ids(), [far_id]);
    assert_eq!(app.reports("?status=submitted").await.items.len(), 3);
    assert!(app.reports("?status=resolved").await.items.is_empty());
    assert!(app.reports("?since=2099-01-01T00:00:00Z").await.items.is_empty());
    assert_eq!(app.reports("?since=2020-01-01T00:00:00Z").await.items.len(), 3);

    for bad in [
        "bbox=1,2,3",
        "near=north",
        "radius_m=9000&near=11.9,108.4",
        "status=lost",
        "unit=abc",
        "limit=0",
        "cursor=x",
        "sort=new",
    ] {
        assert_problem(app.get(&format!("/api/v1/reports?{bad}")).await, 422, "validation_failed").await;
    }
}

async fn similar_offers_open_reports_close_by(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let same = app.file_report(&citizen, &report(DA_LAT.0, DA_LAT.1)).await;
    app.file_report(&citizen, &report(DA_LAT.0 + 0.002, DA_LAT.1)).await; // 220 m away
    let mut other_category = report(DA_LAT.0, DA_LAT.1);
    other_category["category"] = json!("waste");
    app.file_report(&citizen, &other_category).await;

    let similar = |lat: f64| format!("/api/v1/reports/similar?lat={lat}&lon={}&category=street_lighting", DA_LAT.1);
    let nearby: Reports = serde_json::from_value(app.get_json(&similar(DA_LAT.0 + 0.0002)).await).unwrap();
    assert_eq!(nearby.ids(), [same.id.as_str()], "{nearby:?}");
    assert!(nearby.items[0].distance_m.unwrap() < 50.0);

    app.post_json_as(&citizen.token, &format!("/api/v1/reports/{}/withdraw", same.id), &json!({})).await;
    let after = app.get_json(&similar(DA_LAT.0)).await;
    assert!(after["items"].as_array().unwrap().is_empty(), "a withdrawn report is not offered");
    assert_problem(app.get("/api/v1/reports/similar?lat=91&lon=0&category=waste").await, 422, "validation_failed")
        .await;
}

async fn support_counts_once_per_person(app: TestApp) {
    let reporter = app.citizen("0912345678").await;
    let neighbour = app.citizen("0987654321").await;
    let id = app.file_report(&reporter, &report(DA_LAT.0, DA_LAT.1)).await.id;
    let path = format!("/api/v1/reports/{id}/support");
    for _ in 0..2 {
        let support: Value = app.post_json_as(&neighbour.token, &path, &json!({})).await.json().await.unwrap();
        assert_eq!(support["supporters"], 1);
    }
    let seen: Value = app.get_as(&neighbour.token, &format!("/api/v1/reports/{id}")).await.json().await.unwrap();
    assert_eq!((seen["supporters"].as_i64(), seen["supported_by_me"].as_bool()), (Some(1), Some(true)));
    assert_problem(app.post_json_as(&reporter.token, &path, &json!({})).await, 409, "own_report").await;
    assert_problem(app.post_json(&path, &json!({})).await, 401, "unauthenticated").await;
    let remove = || app.client.delete(app.url(&path)).bearer_auth(&neighbour.token).send();
    let removed: Value = remove().await.unwrap().json().await.unwrap();
    assert_eq!(removed["supporters"], 0);
    let again: Value = remove().await.unwrap().json().await.unwrap();
    assert_eq!(again["supporters"], 0);
}

async fn only_the_reporter_withdraws_and_only_while_submitted(app: TestApp) {
    let reporter = app.citizen("0912345678").await;
    let neighbour = app.citizen("0987654321").await;
    let id = app.file_report(&reporter, &report(DA_LAT.0, DA_LAT.1)).await.id;
    let path = format!("/api/v1/reports/{id}/withdraw");
    assert_problem(app.post_json_as(&neighbour.token, &path, &json!({})).await, 404, "report_not_found").await;

    let withdrawn: Report = app.post_json_as(&reporter.token, &path, &json!({})).await.json().await.unwrap();
    assert_eq!(withdrawn.status, "withdrawn");
    assert_eq!(withdrawn.timeline[1].kind, "withdrawn");
    let problem =
        assert_problem(app.post_json_as(&reporter.token, &path, &json!({})).await, 409, "invalid_transition").await;
    assert!(problem["detail"].as_str().unwrap().contains("withdrawn"));

    assert_problem(app.get(&format!("/api/v1/reports/{id}")).await, 404, "report_not_found").await;
    assert!(app.reports("").await.items.is_empty());
    assert_eq!(mine(&app, &reporter).await.items[0].status, "withdrawn", "the reporter still sees it");
}

async fn a_deleted_account_leaves_its_reports_anonymous(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let id = app.file_report(&citizen, &report(DA_LAT.0, DA_LAT.1)).await.id;
    let response = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&citizen.token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let report = app.get_json(&format!("/api/v1/reports/{id}")).await;
    assert_eq!(report["is_anonymous"], true);
    assert!(report["reporter"].is_null());
    assert!(!report.to_string().contains("Nguyễn Văn An"));
}
