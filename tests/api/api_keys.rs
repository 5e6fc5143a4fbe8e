//! Third-party applications' API keys: created by administrators and shown once, stored hashed, listed
//! without the key, revoked; a revoked or unknown key is refused.

use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(keys_are_shown_once_stored_hashed_and_revoked, only_administrators_manage_keys_with_sound_settings);

fn request() -> Value {
    json!({"name": "Bản đồ phản ánh của Đại học Đà Lạt", "contact": "Lab@DLU.edu.vn", "provinces": ["68", "79", "68"]})
}

async fn keys_are_shown_once_stored_hashed_and_revoked(app: TestApp) {
    let admin = app.admin_token().await;
    let created = app.post_json_as(&admin, "/api/v1/admin/api-keys", &request()).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("cds_") && key.len() > 40, "{key}");
    let api_key = &created["api_key"];
    assert_eq!(api_key["contact"], "lab@dlu.edu.vn");
    assert_eq!(api_key["provinces"], json!(["68", "79"]));
    assert_eq!(api_key["rate_limit_per_minute"], 60);
    assert_eq!(api_key["prefix"].as_str().unwrap(), &key[..10]);
    assert_eq!((api_key["revoked_at"].is_null(), api_key["last_used_at"].is_null()), (true, true));

    let listed: Value = app.get_json_as(&admin, "/api/v1/admin/api-keys").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(&listed["items"][0], api_key);
    assert!(!listed.to_string().contains(&key[10..]), "the key is never shown again");
    let stored: Vec<String> = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::api_keys;
            use diesel::prelude::*;
            Ok(api_keys::table.select(api_keys::key_hash).load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].len() == 64 && !stored[0].contains(&key[4..]), "only the key's SHA-256 is kept");

    let db = app.database();
    let now = chrono::Utc::now().naive_utc();
    let presented = key.clone();
    let used = db.run(move |conn| congdanso::open311::keys::authenticate(conn, &presented, now)).await.unwrap();
    assert_eq!(used.id.as_str(), api_key["id"].as_str().unwrap());
    let wrong = db.run(move |conn| congdanso::open311::keys::authenticate(conn, "cds_nope", now)).await;
    assert!(matches!(wrong, Err(congdanso::error::AppError::Forbidden)), "{wrong:?}");

    let path = format!("/api/v1/admin/api-keys/{}", api_key["id"].as_str().unwrap());
    let revoked = app.client.delete(app.url(&path)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(revoked.status(), 200);
    let revoked: Value = revoked.json().await.unwrap();
    let revoked_at = revoked["revoked_at"].clone();
    assert!(revoked_at.is_string() && revoked["last_used_at"].is_string(), "{revoked}");
    let again: Value =
        app.client.delete(app.url(&path)).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["revoked_at"], revoked_at, "revoked once, from the first time");
    let presented = key.clone();
    let refused = db.run(move |conn| congdanso::open311::keys::authenticate(conn, &presented, now)).await;
    assert!(matches!(refused, Err(congdanso::error::AppError::Forbidden)), "a revoked key is refused");
    let unknown =
        app.client.delete(app.url("/api/v1/admin/api-keys/01890a5d-ac96-774b-bcce-b302099a8057")).bearer_auth(&admin);
    assert_problem(unknown.send().await.unwrap(), 404, "api_key_not_found").await;
}

async fn only_administrators_manage_keys_with_sound_settings(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    assert_problem(app.post_json_as(&citizen.token, "/api/v1/admin/api-keys", &request()).await, 403, "forbidden")
        .await;
    assert_problem(app.get_as(&citizen.token, "/api/v1/admin/api-keys").await, 403, "forbidden").await;
    for (field, value, at) in [
        ("name", json!(" "), "name"),
        ("contact", json!("not an address"), "contact"),
        ("provinces", json!([]), "provinces"),
        ("provinces", json!(["99"]), "provinces[0]"),
        ("provinces", json!(["68", "7"]), "provinces[1]"),
        ("rate_limit_per_minute", json!(0), "rate_limit_per_minute"),
        ("rate_limit_per_minute", json!(10_001), "rate_limit_per_minute"),
    ] {
        let mut body = request();
        body[field] = value;
        let problem =
            assert_problem(app.post_json_as(&admin, "/api/v1/admin/api-keys", &body).await, 422, "validation_failed")
                .await;
        assert_eq!(problem["errors"][0]["field"], at, "{body}: {problem}");
    }
    let lam_dong_only = TestApp::spawn_on(app.db.shared(), &app.db.url, &[("CDS_PROVINCES", "68")]).await;
    let outside = lam_dong_only.post_json_as(&admin, "/api/v1/admin/api-keys", &request()).await;
    let problem = assert_problem(outside, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("provinces[1]"), Some("outside_service_area"))
    );
    lam_dong_only.servers().stop().await;
}
