//! Unit boundaries: imported per feature, and a position inside one goes to that unit.

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, TestApp};
use crate::on_both_databases;

on_both_databases!(
    a_position_inside_an_imported_boundary_goes_to_that_unit,
    bad_features_are_reported_and_good_ones_kept,
    only_administrators_import_boundaries,
);

fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
}

fn feature(code: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": code}, "geometry": geometry})
}

async fn import(app: &TestApp, token: &str, collection: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/admin/units/boundaries"))
        .bearer_auth(token)
        .header("content-type", "application/geo+json")
        .body(collection.to_string())
        .send()
        .await
        .unwrap()
}

async fn locate(app: &TestApp, lat: f64, lon: f64) -> Value {
    let response = app.post_json("/api/v1/units/locate", &json!({"position": {"lat": lat, "lon": lon}})).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Two neighbouring wards of Đà Lạt: A, and B whose centroid is the test position.
async fn two_wards(app: &TestApp) -> (Value, Value) {
    let wards = app.get_json("/api/v1/units?parent=68&q=da%20lat").await;
    let items = wards["items"].as_array().unwrap();
    (items[0].clone(), items[1].clone())
}

async fn a_position_inside_an_imported_boundary_goes_to_that_unit(app: TestApp) {
    let admin = app.admin_token().await;
    let (a, b) = two_wards(&app).await;
    let (lat, lon) = (b["centroid"]["lat"].as_f64().unwrap(), b["centroid"]["lon"].as_f64().unwrap());
    assert_eq!(locate(&app, lat, lon).await["unit"]["code"], b["code"], "by centroid, B is nearest");

    // A's boundary (drawn here as a small square) holds B's centroid.
    let collection = json!({"type": "FeatureCollection", "features": [feature(a["code"].as_str().unwrap(), square(lon, lat, 0.003))]});
    let response = import(&app, &admin, &collection).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["imported"], json!([a["code"]]));

    let located = locate(&app, lat, lon).await;
    assert_eq!(located["unit"]["code"], a["code"], "the boundary wins over the nearer centroid");
    assert_eq!(located["approximate"], false);
    assert_eq!(located["province"]["code"], "68");

    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at((lat, lon), json!({"category": "waste"}))).await;
    assert_eq!((report.unit_code.as_str(), report.unit_approximate), (a["code"].as_str().unwrap(), false));

    // Outside every loaded boundary: back to the nearest centroid, marked approximate.
    let outside = locate(&app, lat + 0.05, lon).await;
    assert_eq!(outside["approximate"], true);
    assert_ne!(outside["unit"]["code"], Value::Null);
}

async fn bad_features_are_reported_and_good_ones_kept(app: TestApp) {
    let admin = app.admin_token().await;
    let collection = json!({"type": "FeatureCollection", "features": [
        feature("99999", square(108.44, 11.90, 0.01)),
        feature("24781", square(11.90, 108.44, 0.01)),
        feature("24781", json!({"type": "LineString", "coordinates": [[108.4, 11.9], [108.5, 11.9]]})),
        {"type": "Feature", "properties": {"ma": "24781"}, "geometry": square(108.44, 11.90, 0.01)},
        feature("24781", square(108.44, 11.90, 0.01)),
    ]});
    let result: Value = import(&app, &admin, &collection).await.json().await.unwrap();
    assert_eq!(result["imported"], json!(["24781"]));
    let problems: Vec<(i64, &str)> = result["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["index"].as_i64().unwrap(), p["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [(0, "unknown_unit"), (1, "coordinate_order"), (2, "not_polygon"), (3, "missing_code")]);

    // Another property name holds the code.
    let renamed = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"ma_xa": "24787"}, "geometry": square(108.50, 11.95, 0.01)}]});
    let response = app
        .client
        .post(app.url("/api/v1/admin/units/boundaries?code_property=ma_xa"))
        .bearer_auth(&admin)
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["imported"], json!(["24787"]));

    let problem =
        assert_problem(import(&app, &admin, &json!({"type": "Feature"})).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "type");
    let broken = app
        .client
        .post(app.url("/api/v1/admin/units/boundaries"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(broken, 400, "malformed_json").await;
    let text =
        app.client.post(app.url("/api/v1/admin/units/boundaries")).bearer_auth(&admin).body("{}").send().await.unwrap();
    assert_problem(text, 415, "unsupported_media_type").await;
}

async fn only_administrators_import_boundaries(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let collection = json!({"type": "FeatureCollection", "features": []});
    assert_problem(import(&app, &citizen.token, &collection).await, 403, "forbidden").await;
    let anonymous = app.client.post(app.url("/api/v1/admin/units/boundaries")).json(&collection).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
}
