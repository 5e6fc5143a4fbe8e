//! Email verification (through a real SMTP server), password reset, the own account, administration.

use serde_json::json;

use crate::common::smtp::SmtpSink;
use crate::common::{assert_problem, sign_up, Backend, Citizen, TestApp, TestDb, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    a_retried_sign_up_gets_the_account_the_first_one_made,
    the_verification_mail_confirms_the_email_once,
    an_expired_verification_token_is_refused,
    mail_speaks_the_accounts_language,
    password_reset_by_mail_ends_every_session,
    forgot_password_answers_202_for_anyone,
    profile_changes_and_a_new_email_is_verified_again,
    export_holds_the_personal_data,
    deleting_the_account_erases_it_and_needs_the_password,
    administrators_create_find_and_deactivate_accounts,
    only_administrators_reach_the_admin_api,
);

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/verify-email", &json!({"token": token})).await
}

async fn the_verification_mail_confirms_the_email_once(app: TestApp) {
    let citizen = app.citizen_by_email("binh@example.vn", "vi").await;
    assert!(!citizen.email_verified);
    let mail = app.mail.next_mail().await;
    assert_eq!(mail.to, "binh@example.vn");
    assert!(mail.body.contains("Chào Trần Thị Bình"), "{}", mail.body);
    assert!(mail.body.contains("/verify-email?token="));

    let response = verify(&app, &mail.token()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["email_verified"], true);
    let me: serde_json::Value = app.get_as(&citizen.token, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["email_verified"], true);

    assert_problem(verify(&app, &mail.token()).await, 400, "invalid_token").await;
    assert_problem(verify(&app, "made-up-token").await, 400, "invalid_token").await;
}

async fn an_expired_verification_token_is_refused(app: TestApp) {
    app.citizen_by_email("binh@example.vn", "vi").await;
    let token = app.mail.next_mail().await.token();
    // 24 hours pass.
    app.database()
        .run(|conn| {
            use congdanso::db::schema::one_time_tokens;
            use diesel::prelude::*;
            let yesterday = chrono::Utc::now().naive_utc() - chrono::Duration::hours(25);
            diesel::update(one_time_tokens::table)
                .set(one_time_tokens::expires_at.eq(yesterday + chrono::Duration::hours(24)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_problem(verify(&app, &token).await, 400, "invalid_token").await;
}

async fn mail_speaks_the_accounts_language(app: TestApp) {
    app.citizen_by_email("mary@example.com", "en").await;
    let mail = app.mail.next_mail().await;
    assert!(mail.body.starts_with("Hello Trần Thị Bình"), "{}", mail.body);
    assert!(mail.body.contains("The link works once, for 24 hours"));
}

/// The SMTP server is down when the citizen signs up; the mail waits in the outbox and is delivered
/// once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_written_while_smtp_is_down_is_delivered_later_sqlite() {
    mail_survives_an_smtp_outage(TestDb::create(Backend::Sqlite).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_written_while_smtp_is_down_is_delivered_later_postgres() {
    if let Some(db) = TestDb::create(Backend::Postgres) {
        mail_survives_an_smtp_outage(db).await;
    }
}

async fn mail_survives_an_smtp_outage(db: TestDb) {
    // A port nobody listens on, yet: the sink starts there later.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let unused_sink = SmtpSink::start().await;
    let url = db.url.clone();
    let app = TestApp::spawn_with_mail(db, &url, &[("CDS_SMTP_URL", &smtp_url)], unused_sink).await;
    app.citizen_by_email("binh@example.vn", "vi").await;

    // Wait until the worker has tried and failed at least once.
    let database = app.database();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let attempts = database.run(|conn| pending_attempts(conn)).await.unwrap();
        if attempts >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the worker never tried");
        tokio::task::yield_now().await;
    }

    let sink = SmtpSink::start_at(&format!("127.0.0.1:{port}")).await;
    let mail = sink.next_mail_within(std::time::Duration::from_secs(30)).await;
    assert_eq!(mail.to, "binh@example.vn");
    assert_eq!(verify(&app, &mail.token()).await.status(), 200);
}

fn pending_attempts(conn: &mut congdanso::db::DbConnection) -> Result<i32, congdanso::error::AppError> {
    use congdanso::db::schema::outbox;
    use diesel::prelude::*;
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .select(diesel::dsl::max(outbox::attempts))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

async fn password_reset_by_mail_ends_every_session(app: TestApp) {
    let citizen =
        app.register(sign_up(json!({"phone": "0912345678", "email": "binh@example.vn", "full_name": "Bình"}))).await;
    app.mail.next_mail().await; // verification
    let forgot = app.post_json("/api/v1/auth/password/forgot", &json!({"login": "0912 345 678"})).await;
    assert_eq!(forgot.status(), 202);
    let mail = app.mail.next_mail().await;
    assert!(mail.body.contains("/reset-password?token="));

    let weak =
        app.post_json("/api/v1/auth/password/reset", &json!({"token": mail.token(), "new_password": "12345678"})).await;
    let problem = assert_problem(weak, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "new_password");

    let reset = app
        .post_json("/api/v1/auth/password/reset", &json!({"token": mail.token(), "new_password": "mật khẩu mới tinh"}))
        .await;
    assert_eq!(reset.status(), 204);
    let old_session = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": citizen.refresh_token})).await;
    assert_problem(old_session, 401, "invalid_refresh_token").await;
    assert_problem(app.get_as(&citizen.token, "/api/v1/me").await, 401, "unauthenticated").await;
    assert_eq!(app.login("0912345678", PASSWORD).await.status(), 401);
    assert_eq!(app.login("0912345678", "mật khẩu mới tinh").await.status(), 200);

    let again = app
        .post_json("/api/v1/auth/password/reset", &json!({"token": mail.token(), "new_password": "một mật khẩu khác"}))
        .await;
    assert_problem(again, 400, "invalid_token").await;
}

async fn forgot_password_answers_202_for_anyone(app: TestApp) {
    for login in ["nobody@example.vn", "0999999999", "not a login"] {
        let response = app.post_json("/api/v1/auth/password/forgot", &json!({"login": login})).await;
        assert_eq!(response.status(), 202, "{login}");
    }
    // A phone-only account has nowhere to receive the link: still 202, and no mail.
    app.citizen("0912345678").await;
    assert_eq!(app.post_json("/api/v1/auth/password/forgot", &json!({"login": "0912345678"})).await.status(), 202);
    app.citizen_by_email("binh@example.vn", "vi").await;
    let first = app.mail.next_mail().await;
    assert_eq!(first.to, "binh@example.vn", "the next mail is the verification, not a reset for the phone account");
    assert!(first.body.contains("/verify-email?token="));
}

async fn profile_changes_and_a_new_email_is_verified_again(app: TestApp) {
    let citizen = app.citizen_by_email("binh@example.vn", "vi").await;
    let first = app.mail.next_mail().await;
    assert_eq!(verify(&app, &first.token()).await.status(), 200);

    let patch = |body: serde_json::Value| {
        app.client.patch(app.url("/api/v1/me")).bearer_auth(&citizen.token).json(&body).send()
    };
    let updated: serde_json::Value =
        patch(json!({"full_name": " Trần  Bình ", "locale": "en"})).await.unwrap().json().await.unwrap();
    assert_eq!((updated["full_name"].as_str(), updated["locale"].as_str()), (Some("Trần Bình"), Some("en")));
    assert_eq!(updated["email_verified"], true);

    let changed: serde_json::Value =
        patch(json!({"email": "binh.tran@example.vn"})).await.unwrap().json().await.unwrap();
    assert_eq!(
        (changed["email"].as_str(), changed["email_verified"].as_bool()),
        (Some("binh.tran@example.vn"), Some(false))
    );
    let mail = app.mail.next_mail().await;
    assert_eq!(mail.to, "binh.tran@example.vn");
    assert!(mail.body.starts_with("Hello"), "the new locale is used");
    assert_eq!(verify(&app, &mail.token()).await.status(), 200);

    app.citizen_by_email("other@example.vn", "vi").await;
    assert_problem(patch(json!({"email": "other@example.vn"})).await.unwrap(), 409, "account_exists").await;
    let problem =
        assert_problem(patch(json!({"locale": "fr", "role": "admin"})).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "role");
}

async fn export_holds_the_personal_data(app: TestApp) {
    let admin = app.admin_token().await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let drive =
        json!({"name": "Lâm Đồng số", "unit_code": "68", "starts_on": today, "ends_on": today, "target_signups": 100});
    let drive: serde_json::Value =
        app.post_json_as(&admin, "/api/v1/admin/campaigns", &drive).await.json().await.unwrap();
    let path = format!("/api/v1/admin/campaigns/{}/agents", drive["id"].as_str().unwrap());
    let agent: serde_json::Value =
        app.post_json_as(&admin, &path, &json!({"display_name": "Chị Hoa"})).await.json().await.unwrap();
    let code = agent["code"].as_str().unwrap();
    let citizen =
        app.register(sign_up(json!({"phone": "0912345678", "full_name": "Bình", "onboarding_code": code}))).await;
    let response = app.get_as(&citizen.token, "/api/v1/me/export").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["account"]["phone"], "+84912345678");
    assert_eq!(data["onboarding_code"], code);
    assert_eq!(data["onboarding"]["agent_id"], agent["id"]);
    assert_eq!(data["notifications"], json!([]));
    assert!(data["consent_at"].is_string());
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert!(!data.to_string().contains("argon2"), "no password hash in the export");
}

async fn deleting_the_account_erases_it_and_needs_the_password(app: TestApp) {
    let account = sign_up(json!({"phone": "0912345678", "email": "binh@example.vn", "full_name": "Bình"}));
    let citizen = app.register(account.clone()).await;
    let delete = |password: &str| {
        app.client.delete(app.url("/api/v1/me")).bearer_auth(&citizen.token).json(&json!({"password": password})).send()
    };
    let problem = assert_problem(delete("wrong").await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "wrong_password");
    assert_eq!(delete(PASSWORD).await.unwrap().status(), 204);

    assert_problem(app.get_as(&citizen.token, "/api/v1/me").await, 401, "unauthenticated").await;
    assert_eq!(app.login("0912345678", PASSWORD).await.status(), 401);
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": citizen.refresh_token})).await;
    assert_eq!(refresh.status(), 401);
    // The phone and email are free again.
    app.register(account).await;
}

async fn administrators_create_find_and_deactivate_accounts(app: TestApp) {
    let admin = app.admin_token().await;
    let create = |body: serde_json::Value| {
        app.client.post(app.url("/api/v1/admin/users")).bearer_auth(&admin).json(&body).send()
    };
    let response = create(json!({"email": "canbo@hoankiem.gov.vn", "full_name": "Lê Văn Cường", "role": "official", "unit_code": "00070"})).await.unwrap();
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (created["user"]["role"].as_str(), created["user"]["unit_code"].as_str()),
        (Some("official"), Some("00070"))
    );
    let initial_password = created["initial_password"].as_str().unwrap().to_string();
    let official: Citizen = app.login("canbo@hoankiem.gov.vn", &initial_password).await.json().await.unwrap();

    let problem = assert_problem(
        create(json!({"phone": "0912345678", "full_name": "X", "role": "official"})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "unit_code");
    let problem = assert_problem(
        create(json!({"phone": "0912345678", "full_name": "X", "role": "mayor"})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "role");
    let problem = assert_problem(
        create(json!({"phone": "0912345678", "full_name": "X", "role": "volunteer", "unit_code": "99999"}))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "unit_code");
    assert_problem(
        create(json!({"email": "CANBO@hoankiem.gov.vn", "full_name": "X", "role": "admin"})).await.unwrap(),
        409,
        "account_exists",
    )
    .await;

    let found: serde_json::Value =
        app.get_as(&admin, "/api/v1/admin/users?q=le%20van%20cuong&role=official").await.json().await.unwrap();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["email"], "canbo@hoankiem.gov.vn");
    let none: serde_json::Value =
        app.get_as(&admin, "/api/v1/admin/users?q=le%20van%20cuong&role=citizen").await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    assert_problem(app.get_as(&admin, "/api/v1/admin/users?role=king").await, 422, "validation_failed").await;

    let id = created["user"]["id"].as_str().unwrap();
    let patch = |token: &str, id: &str, body: serde_json::Value| {
        app.client.patch(app.url(&format!("/api/v1/admin/users/{id}"))).bearer_auth(token).json(&body).send()
    };
    assert_eq!(app.get_as(&official.token, "/api/v1/me").await.status(), 200);
    let deactivated: serde_json::Value =
        patch(&admin, id, json!({"active": false})).await.unwrap().json().await.unwrap();
    assert_eq!(deactivated["active"], false);
    // The official's access token, still within its 15 minutes, stops working at once.
    assert_problem(app.get_as(&official.token, "/api/v1/me").await, 403, "account_disabled").await;
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": official.refresh_token})).await;
    assert_eq!(refresh.status(), 401, "deactivation ended the sessions");
    assert_problem(app.login("canbo@hoankiem.gov.vn", &initial_password).await, 403, "account_disabled").await;

    let me: serde_json::Value = app.get_as(&admin, "/api/v1/me").await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap();
    assert_problem(patch(&admin, admin_id, json!({"active": false})).await.unwrap(), 409, "cannot_change_self").await;
    assert_problem(patch(&admin, admin_id, json!({"role": "citizen"})).await.unwrap(), 409, "cannot_change_self").await;
    assert_problem(
        patch(&admin, "0190aaaa-0000-7000-8000-000000000000", json!({"active": true})).await.unwrap(),
        404,
        "user_not_found",
    )
    .await;
}

async fn only_administrators_reach_the_admin_api(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let token = citizen.token.as_str();
    assert_problem(app.get_as(token, "/api/v1/admin/users").await, 403, "forbidden").await;
    let body = json!({"email": "x@example.vn", "full_name": "X", "role": "admin"});
    assert_problem(app.post_json_as(token, "/api/v1/admin/users", &body).await, 403, "forbidden").await;
    assert_problem(app.get("/api/v1/admin/users").await, 401, "unauthenticated").await;
}

async fn a_retried_sign_up_gets_the_account_the_first_one_made(app: TestApp) {
    let body = json!({"phone": "0912345678", "password": PASSWORD, "full_name": "Bình", "consent": true});
    let register = |key: &str, body: &serde_json::Value| {
        app.client.post(app.url("/api/v1/auth/register")).header("Idempotency-Key", key).json(body).send()
    };
    let key = uuid::Uuid::now_v7().to_string();
    let first = register(&key, &body).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Citizen = first.json().await.unwrap();
    // The answer was lost; the app sends the same request again.
    let retry = register(&key, &body).await.unwrap();
    assert_eq!(retry.status(), 200);
    let retry: Citizen = retry.json().await.unwrap();
    assert_eq!(retry.id, first.id);
    assert_eq!(app.get_as(&retry.token, "/api/v1/me").await.status(), 200);
    assert_ne!(retry.refresh_token, first.refresh_token, "a session of its own");

    // The key with another body, or with another password, is not a retry.
    let renamed = json!({"phone": "0912345678", "password": PASSWORD, "full_name": "Bình An", "consent": true});
    assert_problem(register(&key, &renamed).await.unwrap(), 409, "idempotency_key_reused").await;
    let guessed =
        json!({"phone": "0912345678", "password": "mật khẩu đoán thử 1", "full_name": "Bình", "consent": true});
    assert_problem(register(&key, &guessed).await.unwrap(), 409, "idempotency_key_reused").await;
    let other_phone = json!({"phone": "0987654321", "password": PASSWORD, "full_name": "Bình", "consent": true});
    assert_problem(register(&key, &other_phone).await.unwrap(), 409, "idempotency_key_reused").await;
    // Without the key, or under a new one, the phone is simply taken.
    assert_problem(app.post_json("/api/v1/auth/register", &body).await, 409, "account_exists").await;
    let fresh = uuid::Uuid::now_v7().to_string();
    assert_problem(register(&fresh, &body).await.unwrap(), 409, "account_exists").await;
    assert_problem(register("short", &body).await.unwrap(), 400, "idempotency_key_required").await;
}
