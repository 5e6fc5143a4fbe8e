//! Units and categories: seeded on first start, listed, searched, cached.

use std::collections::HashSet;

use crate::common::{assert_problem, Backend, TestApp};
use crate::on_both_databases;

on_both_databases!(
    provinces_are_listed_without_parent,
    communes_of_lam_dong_are_listed,
    pages_follow_the_cursor,
    search_ignores_diacritics_and_case,
    one_unit_by_code,
    unknown_unit_code_is_404,
    malformed_unit_codes_name_the_field,
    unknown_query_parameters_are_refused,
    limit_out_of_range_is_refused,
    categories_are_bilingual_with_deadlines,
    unchanged_reference_data_answers_304,
    seeding_twice_adds_nothing,
    locate_finds_the_nearest_commune,
);

async fn provinces_are_listed_without_parent(app: TestApp) {
    let page = app.get_json("/api/v1/units").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 34);
    assert!(items.iter().all(|u| u["level"] == 1 && u["parent_code"].is_null()));
    let lam_dong = items.iter().find(|u| u["code"] == "68").unwrap();
    assert_eq!(lam_dong["name"], "Tỉnh Lâm Đồng");
    assert_eq!(lam_dong["kind"], "province");
    assert_eq!(page["next_cursor"], serde_json::Value::Null);
}

async fn communes_of_lam_dong_are_listed(app: TestApp) {
    let page = app.get_json("/api/v1/units?parent=68").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 124, "Lâm Đồng has 124 commune-level units since 07/2025");
    assert!(items.iter().all(|u| u["parent_code"] == "68" && u["level"] == 2));
    let codes: Vec<&str> = items.iter().map(|u| u["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "in code order");
    let xuan_huong = items.iter().find(|u| u["name"] == "Phường Xuân Hương - Đà Lạt").expect("a Đà Lạt ward");
    assert_eq!(xuan_huong["kind"], "ward");
    assert!(xuan_huong["centroid"]["lat"].as_f64().is_some());
    assert_eq!(xuan_huong["valid_from"], "2025-07-01");
    assert_eq!(page["next_cursor"], serde_json::Value::Null);
}

async fn pages_follow_the_cursor(app: TestApp) {
    let mut seen = HashSet::new();
    let mut path = "/api/v1/units?parent=68&limit=50".to_string();
    let mut pages = 0;
    loop {
        let page = app.get_json(&path).await;
        pages += 1;
        for unit in page["items"].as_array().unwrap() {
            assert!(seen.insert(unit["code"].as_str().unwrap().to_string()), "no unit twice");
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/units?parent=68&limit=50&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 124));
}

async fn search_ignores_diacritics_and_case(app: TestApp) {
    for q in ["hoan%20kiem", "Ho%C3%A0n%20Ki%E1%BA%BFm", "HOAN  KIEM"] {
        let page = app.get_json(&format!("/api/v1/units?q={q}")).await;
        let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"Phường Hoàn Kiếm"), "q={q} found {names:?}");
    }
    // Within a parent, only that province's units match.
    let page = app.get_json("/api/v1/units?parent=68&q=da%20lat").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|u| u["parent_code"] == "68"));
    let none = app.get_json("/api/v1/units?q=khong%20co%20dau%20nay").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

async fn one_unit_by_code(app: TestApp) {
    let unit = app.get_json("/api/v1/units/00070").await;
    assert_eq!(unit["name"], "Phường Hoàn Kiếm");
    assert_eq!(unit["parent_code"], "01");
    assert_eq!(unit["kind"], "ward");
    let province = app.get_json("/api/v1/units/01").await;
    assert_eq!(province["kind"], "municipality");
    assert!(province["area_km2"].as_f64().unwrap() > 3000.0);
}

async fn unknown_unit_code_is_404(app: TestApp) {
    assert_problem(app.get("/api/v1/units/99999").await, 404, "unit_not_found").await;
    assert_problem(app.get("/api/v1/units?parent=99").await, 404, "unit_not_found").await;
}

async fn malformed_unit_codes_name_the_field(app: TestApp) {
    let problem = assert_problem(app.get("/api/v1/units/abc").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "code");
    assert_eq!(problem["errors"][0]["code"], "invalid_unit_code");
    let problem = assert_problem(app.get("/api/v1/units?parent=6").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "parent");
    let problem = assert_problem(app.get("/api/v1/units?cursor=x").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "cursor");
}

async fn unknown_query_parameters_are_refused(app: TestApp) {
    let problem = assert_problem(app.get("/api/v1/units?parnt=68").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "parnt");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");
}

async fn limit_out_of_range_is_refused(app: TestApp) {
    for limit in ["0", "501", "-1", "many"] {
        let problem =
            assert_problem(app.get(&format!("/api/v1/units?limit={limit}")).await, 422, "validation_failed").await;
        let field = problem["errors"][0]["field"].as_str().unwrap();
        assert!(field == "limit" || field == "query", "limit={limit}: {problem}");
    }
}

async fn categories_are_bilingual_with_deadlines(app: TestApp) {
    let page = app.get_json("/api/v1/categories").await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 15, "a starter set of about 15");
    for category in items {
        assert!(category["name_vi"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(category["name_en"].as_str().is_some_and(|n| !n.is_empty()));
        let deadlines = &category["deadlines"];
        let resolve = deadlines["resolve_working_days"].as_i64().unwrap();
        assert!(resolve > 0 && deadlines["max_resolve_working_days"].as_i64().unwrap() >= resolve, "{deadlines}");
        assert!(
            deadlines["accept_working_hours"].as_i64().unwrap() > 0 && deadlines["urgent_hours"].as_i64().unwrap() > 0
        );
        assert!(["commune", "department"].contains(&category["handler_kind"].as_str().unwrap()));
    }
    let lighting = items.iter().find(|c| c["code"] == "street_lighting").unwrap();
    assert_eq!(lighting["name_vi"], "Chiếu sáng công cộng");
    assert_eq!(lighting["deadlines"]["resolve_working_days"], 3, "an on-the-spot fix, as in Đà Nẵng's 1022 rules");
}

async fn unchanged_reference_data_answers_304(app: TestApp) {
    for path in ["/api/v1/categories", "/api/v1/units?parent=68", "/api/v1/units/00070"] {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with("W/\""), "{etag}");

        let cached = app.client.get(app.url(path)).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(cached.status(), 304, "{path}");
        assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);
        assert!(cached.bytes().await.unwrap().is_empty());

        let stale = app.client.get(app.url(path)).header("If-None-Match", "W/\"stale\"").send().await.unwrap();
        assert_eq!(stale.status(), 200);
    }
    // Another query is another representation, with another tag.
    let a = app.get("/api/v1/units?parent=68").await.headers()["etag"].clone();
    let b = app.get("/api/v1/units?parent=01").await.headers()["etag"].clone();
    assert_ne!(a, b);
}

async fn seeding_twice_adds_nothing(app: TestApp) {
    let report = congdanso::startup::prepare_database(app.database()).await.unwrap();
    assert_eq!(report, congdanso::seed::SeedReport::default());
    let page = app.get_json("/api/v1/units?parent=68").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 124);
}

async fn locate_finds_the_nearest_commune(app: TestApp) {
    let response = app
        .post_json("/api/v1/units/locate", &serde_json::json!({"position": {"lat": 11.9404, "lon": 108.4583}}))
        .await;
    assert_eq!(response.status(), 200);
    let located: serde_json::Value = response.json().await.unwrap();
    assert_eq!(located["province"]["code"], "68");
    assert_eq!(located["unit"]["parent_code"], "68");
    assert_eq!(located["approximate"], true);
    assert!(located["distance_km"].as_f64().unwrap() < 10.0);

    // The South China Sea between Vietnam and the Philippines is nobody's commune.
    let response =
        app.post_json("/api/v1/units/locate", &serde_json::json!({"position": {"lat": 13.0, "lon": 115.0}})).await;
    assert_problem(response, 422, "outside_service_area").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_outside_the_configured_provinces_are_refused() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("CDS_PROVINCES", "79")]).await.unwrap();
    // Đà Lạt is in Lâm Đồng (68), not in Hồ Chí Minh City (79).
    let response = app
        .post_json("/api/v1/units/locate", &serde_json::json!({"position": {"lat": 11.9404, "lon": 108.4583}}))
        .await;
    assert_problem(response, 422, "outside_service_area").await;
    let response = app
        .post_json("/api/v1/units/locate", &serde_json::json!({"position": {"lat": 10.7769, "lon": 106.7009}}))
        .await;
    assert_eq!(response.status(), 200);
}
