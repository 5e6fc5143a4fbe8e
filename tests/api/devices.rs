//! The app's installations and their push tokens: registered after log-in, moved to whoever registers
//! them last, removed on log-out, exported and erased with the account.

use serde_json::{json, Value};

use crate::common::{assert_problem, sign_up, Citizen, TestApp, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    an_installation_is_registered_listed_refreshed_and_removed,
    a_token_and_an_installation_follow_the_account_that_registered_them_last,
    registrations_are_checked_field_by_field,
    devices_are_exported_and_erased_with_the_account,
);

fn device(token: &str) -> Value {
    json!({"platform": "android", "push_token": token, "app_version": "2.4.1", "locale": "vi"})
}

async fn register(app: &TestApp, citizen: &Citizen, installation: &str, body: &Value) -> reqwest::Response {
    app.put_json_as(&citizen.token, &format!("/api/v1/me/devices/{installation}"), body).await
}

async fn devices_of(app: &TestApp, citizen: &Citizen) -> Vec<Value> {
    app.get_json_as(&citizen.token, "/api/v1/me/devices").await
}

async fn an_installation_is_registered_listed_refreshed_and_removed(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let first = register(&app, &citizen, "fid-0001-android", &device("token-A")).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["installation_id"], "fid-0001-android");
    assert_eq!(first["platform"], "android");
    assert_eq!(first["push_token"], "token-A");

    // Again with a new token and version (the app refreshed them): still one installation.
    let body = json!({"platform": "android", "push_token": "token-B", "app_version": "2.5.0", "locale": "en"});
    let again: Value = register(&app, &citizen, "fid-0001-android", &body).await.json().await.unwrap();
    assert_eq!((again["push_token"].as_str(), again["app_version"].as_str()), (Some("token-B"), Some("2.5.0")));
    assert_eq!(again["registered_at"], first["registered_at"]);
    let listed = devices_of(&app, &citizen).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["locale"], "en");

    let path = "/api/v1/me/devices/fid-0001-android";
    let remove = || app.client.delete(app.url(path)).bearer_auth(&citizen.token).send();
    assert_eq!(remove().await.unwrap().status(), 204);
    assert!(devices_of(&app, &citizen).await.is_empty());
    assert_problem(remove().await.unwrap(), 404, "device_not_found").await;
    // An id no installation can have names nothing either.
    let malformed = app.client.delete(app.url("/api/v1/me/devices/a%20b")).bearer_auth(&citizen.token).send();
    assert_problem(malformed.await.unwrap(), 404, "device_not_found").await;
    assert_problem(app.client.get(app.url("/api/v1/me/devices")).send().await.unwrap(), 401, "unauthenticated").await;
}

async fn a_token_and_an_installation_follow_the_account_that_registered_them_last(app: TestApp) {
    let (an, binh) = (app.citizen("0912345678").await, app.citizen("0987654321").await);
    assert_eq!(register(&app, &an, "fid-0001-android", &device("token-A")).await.status(), 200);
    assert_eq!(register(&app, &an, "fid-0002-tablet", &device("token-T")).await.status(), 200);

    // Bình logs in on An's phone: the installation, and its news, are Bình's now.
    assert_eq!(register(&app, &binh, "fid-0001-android", &device("token-A")).await.status(), 200);
    let ans: Vec<Value> = devices_of(&app, &an).await;
    assert_eq!(ans.iter().map(|d| d["installation_id"].as_str().unwrap()).collect::<Vec<_>>(), ["fid-0002-tablet"]);
    // The app was reinstalled on the tablet (a new installation id, the same token for a while): the
    // token leaves the old installation.
    assert_eq!(register(&app, &binh, "fid-0003-tablet", &device("token-T")).await.status(), 200);
    assert!(devices_of(&app, &an).await.is_empty());
    assert_eq!(devices_of(&app, &binh).await.len(), 2);

    // An can no longer remove what is not theirs.
    let taken = app.client.delete(app.url("/api/v1/me/devices/fid-0001-android")).bearer_auth(&an.token).send();
    assert_problem(taken.await.unwrap(), 404, "device_not_found").await;
    assert_eq!(devices_of(&app, &binh).await.len(), 2);
}

async fn registrations_are_checked_field_by_field(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let body = json!({"platform": "windows", "push_token": "", "app_version": "x".repeat(33), "locale": "fr"});
    let problem = assert_problem(register(&app, &citizen, "short", &body).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["platform"], "an unknown platform is refused as it is read");

    let body = json!({"platform": "ios", "push_token": "", "app_version": "x".repeat(33), "locale": "fr"});
    let problem = assert_problem(register(&app, &citizen, "short", &body).await, 422, "validation_failed").await;
    let mut fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["app_version", "installation_id", "locale", "push_token"]);

    let unknown_field = json!({"platform": "ios", "push_token": "t", "app_version": "1", "locale": "vi", "imei": "1"});
    assert_problem(register(&app, &citizen, "fid-0001-ios", &unknown_field).await, 422, "validation_failed").await;
    assert!(devices_of(&app, &citizen).await.is_empty());
}

async fn devices_are_exported_and_erased_with_the_account(app: TestApp) {
    let account = sign_up(json!({"phone": "0912345678", "full_name": "Bình"}));
    let citizen = app.register(account.clone()).await;
    assert_eq!(register(&app, &citizen, "fid-0001-android", &device("token-A")).await.status(), 200);
    let export: Value = app.get_json_as(&citizen.token, "/api/v1/me/export").await;
    assert_eq!(export["devices"][0]["push_token"], "token-A");

    let erase =
        app.client.delete(app.url("/api/v1/me")).bearer_auth(&citizen.token).json(&json!({"password": PASSWORD}));
    assert_eq!(erase.send().await.unwrap().status(), 204);
    // Whoever signs up with the phone next starts with no devices, and the token is free to register.
    let next = app.register(account).await;
    assert!(devices_of(&app, &next).await.is_empty());
    let devices: i64 = app
        .database()
        .run(|conn| {
            use diesel::prelude::*;
            Ok(congdanso::db::schema::devices::table.count().get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(devices, 0, "the erased account's installation is gone");
}
