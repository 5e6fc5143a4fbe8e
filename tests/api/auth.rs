//! Sign-up, log-in, tokens, lock-out and rate limits.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::common::{assert_problem, sign_up, Backend, Citizen, TestApp, JWT_SECRET, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    sign_up_with_a_phone_in_any_form_stores_e164,
    sign_up_lists_every_bad_field,
    duplicates_are_409_without_saying_which_field,
    log_in_with_phone_in_any_form_or_email,
    wrong_password_and_unknown_account_answer_alike,
    refresh_rotates_and_reuse_revokes_the_family,
    log_out_ends_one_session_and_log_out_all_ends_every_one,
    forged_expired_and_missing_tokens_are_refused,
    twenty_wrong_passwords_lock_the_account_but_not_others,
    outdated_password_hashes_are_upgraded_on_log_in,
    login_names_are_capped_and_stored_only_hashed,
    addresses_the_mailer_cannot_use_are_refused,
);

async fn sign_up_with_a_phone_in_any_form_stores_e164(app: TestApp) {
    let response = app.post_json("/api/v1/auth/register", &sign_up(json!({"phone": "+84 912.345.678"}))).await;
    assert_eq!(response.status(), 201);
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(tokens["user"]["phone"], "+84912345678");
    assert_eq!(tokens["user"]["role"], "citizen");
    assert_eq!(tokens["user"]["locale"], "vi");

    let me = app.get_as(tokens["access_token"].as_str().unwrap(), "/api/v1/me").await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["id"], tokens["user"]["id"]);
}

async fn sign_up_lists_every_bad_field(app: TestApp) {
    let cases = [
        (
            json!({"phone": "024 3825 3536", "password": PASSWORD, "full_name": "An", "consent": true}),
            "phone",
            "landline_not_accepted",
        ),
        (
            json!({"phone": "0912 34", "password": PASSWORD, "full_name": "An", "consent": true}),
            "phone",
            "invalid_phone",
        ),
        (json!({"email": "an@", "password": PASSWORD, "full_name": "An", "consent": true}), "email", "invalid_email"),
        (json!({"password": PASSWORD, "full_name": "An", "consent": true}), "phone", "email_or_phone_required"),
        (
            json!({"phone": "0912345678", "password": "ngắn", "full_name": "An", "consent": true}),
            "password",
            "too_short",
        ),
        (
            json!({"phone": "0912345678", "password": "matkhau123", "full_name": "An", "consent": true}),
            "password",
            "common_password",
        ),
        (
            json!({"phone": "0912345678", "password": "0912.345.678", "full_name": "An", "consent": true}),
            "password",
            "password_is_identity",
        ),
        (
            json!({"email": "an.nguyen@example.vn", "password": "An.Nguyen@example.vn", "full_name": "An", "consent": true}),
            "password",
            "password_is_identity",
        ),
        (
            json!({"phone": "0912345678", "password": PASSWORD, "full_name": "  ", "consent": true}),
            "full_name",
            "required",
        ),
        (
            json!({"phone": "0912345678", "password": PASSWORD, "full_name": "An", "consent": false}),
            "consent",
            "must_be_true",
        ),
        (
            json!({"phone": "0912345678", "password": PASSWORD, "full_name": "An", "consent": true, "locale": "fr"}),
            "locale",
            "not_allowed",
        ),
        (
            json!({"phone": "0912345678", "password": PASSWORD, "full_name": "An", "consent": true, "role": "admin"}),
            "role",
            "unknown_field",
        ),
        (json!({"phone": "0912345678", "password": PASSWORD, "full_name": "An"}), "consent", "required"),
    ];
    for (body, field, code) in cases {
        let problem =
            assert_problem(app.post_json("/api/v1/auth/register", &body).await, 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{body}: {problem}");
    }
    // Several bad fields are all reported at once.
    let body = json!({"phone": "123", "password": "x", "full_name": "", "consent": false});
    let problem = assert_problem(app.post_json("/api/v1/auth/register", &body).await, 422, "validation_failed").await;
    let fields: Vec<_> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["phone", "password", "full_name", "consent"]);
}

async fn duplicates_are_409_without_saying_which_field(app: TestApp) {
    app.register(sign_up(json!({"phone": "0912345678", "email": "an@example.vn", "full_name": "An"}))).await;
    let same_phone = json!({"phone": "84 912 345 678", "password": PASSWORD, "full_name": "Bình", "consent": true});
    let by_phone =
        assert_problem(app.post_json("/api/v1/auth/register", &same_phone).await, 409, "account_exists").await;
    let same_email = json!({"email": " AN@Example.VN", "password": PASSWORD, "full_name": "Bình", "consent": true});
    let by_email =
        assert_problem(app.post_json("/api/v1/auth/register", &same_email).await, 409, "account_exists").await;
    assert_eq!(by_phone, by_email, "the answer does not reveal which field matched");
}

async fn log_in_with_phone_in_any_form_or_email(app: TestApp) {
    app.register(sign_up(json!({"phone": "0912345678", "email": "an@example.vn", "full_name": "An"}))).await;
    for login in ["0912345678", "+84912345678", "84 912 345 678", "An@Example.vn"] {
        let response = app.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "{login}");
        assert_eq!(response.json::<Citizen>().await.unwrap().phone.as_deref(), Some("+84912345678"));
    }
}

async fn wrong_password_and_unknown_account_answer_alike(app: TestApp) {
    app.citizen("0912345678").await;
    let wrong = assert_problem(app.login("0912345678", "not the password").await, 401, "invalid_credentials").await;
    let unknown = assert_problem(app.login("0987654321", "not the password").await, 401, "invalid_credentials").await;
    let nonsense = assert_problem(app.login("who?", "not the password").await, 401, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, nonsense);
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token})).await
}

async fn refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let first = app.citizen("0912345678").await;
    let other_device: Citizen = app.login("0912345678", PASSWORD).await.json().await.unwrap();
    let r1 = first.refresh_token.as_str();

    let rotated: Citizen = refresh(&app, r1).await.json().await.unwrap();
    let r2 = rotated.refresh_token.as_str();
    assert_ne!(r1, r2);
    assert_eq!(app.get_as(&rotated.token, "/api/v1/me").await.status(), 200);

    // r1 again: someone holds a copy. The family (r2 included) is revoked.
    assert_problem(refresh(&app, r1).await, 401, "refresh_token_reused").await;
    assert_problem(refresh(&app, r2).await, 401, "invalid_refresh_token").await;
    // Another log-in is another family, untouched.
    assert_eq!(refresh(&app, &other_device.refresh_token).await.status(), 200);
    assert_problem(refresh(&app, "made-up").await, 401, "invalid_refresh_token").await;
}

async fn log_out_ends_one_session_and_log_out_all_ends_every_one(app: TestApp) {
    let a = app.citizen("0912345678").await;
    let b: Citizen = app.login("0912345678", PASSWORD).await.json().await.unwrap();
    let c: Citizen = app.login("0912345678", PASSWORD).await.json().await.unwrap();

    let response = app.post_json_as(&a.token, "/api/v1/auth/logout", &json!({"refresh_token": a.refresh_token})).await;
    assert_eq!(response.status(), 204);
    assert_problem(refresh(&app, &a.refresh_token).await, 401, "invalid_refresh_token").await;
    let b_rotated: Citizen = refresh(&app, &b.refresh_token).await.json().await.unwrap();

    // The access token of the ended session ends with it, not minutes later.
    assert_problem(app.get_as(&a.token, "/api/v1/me").await, 401, "unauthenticated").await;
    assert_eq!(app.get_as(&c.token, "/api/v1/me").await.status(), 200);

    let response =
        app.client.post(app.url("/api/v1/auth/logout-all")).bearer_auth(&b_rotated.token).send().await.unwrap();
    assert_eq!(response.status(), 204);
    for ended in [&b_rotated.token, &b.token, &c.token] {
        assert_problem(app.get_as(ended, "/api/v1/me").await, 401, "unauthenticated").await;
    }
    assert_problem(refresh(&app, &b_rotated.refresh_token).await, 401, "invalid_refresh_token").await;
    assert_problem(refresh(&app, &c.refresh_token).await, 401, "invalid_refresh_token").await;

    let unauthenticated = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": "x"})).await;
    assert_problem(unauthenticated, 401, "unauthenticated").await;
}

/// One claim of a signed token's payload, read without checking the signature.
fn claim(token: &str, name: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims[name].as_str().unwrap().to_string()
}

fn without(mut claims: serde_json::Value, name: &str) -> serde_json::Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn token(claims: serde_json::Value, key: &str) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key.as_bytes())).unwrap()
}

async fn forged_expired_and_missing_tokens_are_refused(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let user_id = citizen.id.as_str();
    let session = claim(&citizen.token, "sid");
    let someone_else = app.citizen("0987654321").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |overrides: serde_json::Value| {
        let mut claims = json!({"iss": "http://congdanso.test", "aud": "congdanso-app", "sub": user_id, "role": "admin",
            "iat": now, "exp": now + 600, "jti": "t", "sid": session});
        claims.as_object_mut().unwrap().extend(overrides.as_object().unwrap().clone());
        claims
    };
    // The test's own well-formed token is accepted, which shows the refusals below are for their flaw.
    assert_eq!(app.get_as(&token(claims(json!({})), JWT_SECRET), "/api/v1/me").await.status(), 200);

    let unsigned = {
        use base64::Engine;
        let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims(json!({}))))
    };
    let refused = [
        unsigned,
        token(claims(json!({})), "another-key-another-key-another-key-0000"),
        token(claims(json!({"aud": "someone-else"})), JWT_SECRET),
        token(claims(json!({"iss": "https://evil.example"})), JWT_SECRET),
        token(claims(json!({"sub": "00000000-0000-0000-0000-000000000000"})), JWT_SECRET),
        // A token must belong to one of the account's own live sessions.
        token(claims(json!({"sid": claim(&someone_else.token, "sid")})), JWT_SECRET),
        token(claims(json!({"sid": "00000000-0000-0000-0000-000000000000"})), JWT_SECRET),
        token(without(claims(json!({})), "sid"), JWT_SECRET),
        // Not valid before an hour from now.
        token(claims(json!({"nbf": now + 3600})), JWT_SECRET),
        "garbage".to_string(),
    ];
    for bad in refused {
        assert_problem(app.get_as(&bad, "/api/v1/me").await, 401, "unauthenticated").await;
    }
    let hs512 =
        encode(&Header::new(Algorithm::HS512), &claims(json!({})), &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
            .unwrap();
    assert_problem(app.get_as(&hs512, "/api/v1/me").await, 401, "unauthenticated").await;

    let expired = token(claims(json!({"iat": now - 3600, "exp": now - 60})), JWT_SECRET);
    let response = app.get_as(&expired, "/api/v1/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_problem(response, 401, "token_expired").await;
    assert_problem(app.get("/api/v1/me").await, 401, "unauthenticated").await;

    // The role comes from the account, not the token: a citizen's token claiming "admin" gets 403.
    let claims_admin = token(claims(json!({})), JWT_SECRET);
    assert_problem(app.get_as(&claims_admin, "/api/v1/admin/users").await, 403, "forbidden").await;
}

async fn twenty_wrong_passwords_lock_the_account_but_not_others(app: TestApp) {
    app.citizen("0912345678").await;
    app.citizen("0987654321").await;
    let mut locked = 0;
    for _ in 0..20 {
        let response = app.login("0912345678", "wrong password!").await;
        match response.status().as_u16() {
            401 => {}
            429 => {
                assert!(response.headers().contains_key("retry-after"));
                locked += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(locked >= 15, "locked after the first few failures, got {locked} lock answers");
    let response = app.login("+84 912 345 678", PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0);
    assert_problem(response, 429, "too_many_attempts").await;
    assert_eq!(app.login("0987654321", PASSWORD).await.status(), 200, "another account is not locked");
}

async fn outdated_password_hashes_are_upgraded_on_log_in(app: TestApp) {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let user_id = app.citizen("0912345678").await.id;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    let db = app.database();
    let id = congdanso::values::UserId::from(user_id.clone());
    db.run(move |conn| congdanso::accounts::me::set_password_hash(conn, &id, &weak)).await.unwrap();

    assert_eq!(app.login("0912345678", PASSWORD).await.status(), 200);
    let stored = db.run(move |conn| congdanso::accounts::find_user(conn, &user_id.into())).await.unwrap().password_hash;
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert_eq!(app.login("0912345678", PASSWORD).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_count_the_person_and_the_address_only_as_a_ceiling() {
    let limits = [("CDS_AUTH_RATE_LIMIT", "3"), ("CDS_ADDRESS_RATE_LIMIT", "8")];
    let app = TestApp::spawn_with(Backend::Sqlite, &limits).await.unwrap();
    // One phone however it is written.
    for written in ["0912345678", "0912 345 678", "+84912345678"] {
        assert_eq!(app.login(written, "whatever password").await.status(), 401);
    }
    let response = app.login("84 912 345 678", "whatever password").await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_problem(response, 429, "rate_limited").await;
    // Someone else behind the same address (a carrier's CGNAT) is not held back.
    assert_eq!(app.login("0987654321", "whatever password").await.status(), 401);

    // A hall signs up on one Wi-Fi: each phone has its own allowance; the address is only a ceiling.
    for i in 0..8 {
        app.citizen(&format!("09123400{i:02}")).await;
    }
    let flood = app.post_json("/api/v1/auth/register", &sign_up(json!({"phone": "0912340099"}))).await;
    assert_problem(flood, 429, "rate_limited").await;
    // One device is counted as one, whatever address it comes from.
    let from_device = |phone: &str| {
        let request = app.client.post(app.url("/api/v1/auth/login")).header("Device-Id", "android-7f3a");
        request.json(&json!({"login": phone, "password": "whatever password"})).send()
    };
    for phone in ["0911111111", "0922222222", "0933333333"] {
        assert_eq!(from_device(phone).await.unwrap().status(), 401);
    }
    assert_problem(from_device("0944444444").await.unwrap(), 429, "rate_limited").await;
    // Password reset has its own allowance.
    let forgot = app.post_json("/api/v1/auth/password/forgot", &json!({"login": "x"})).await;
    assert_eq!(forgot.status(), 202);
    // Only hashes are kept of what was counted.
    let buckets: Vec<String> = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::rate_limits;
            use diesel::prelude::*;
            Ok(rate_limits::table.select(rate_limits::bucket).load(conn)?)
        })
        .await
        .unwrap();
    assert!(buckets.iter().any(|b| b.starts_with("login:login:")), "{buckets:?}");
    assert!(buckets.iter().all(|b| !b.contains("0912345678") && !b.contains("127.0.0.1")), "{buckets:?}");
}

async fn stored_login_keys(app: &TestApp) -> Vec<String> {
    app.database()
        .run(|conn| {
            use congdanso::db::schema::login_attempts;
            use diesel::prelude::*;
            Ok(login_attempts::table.select(login_attempts::login_key).load::<String>(conn)?)
        })
        .await
        .unwrap()
}

async fn login_names_are_capped_and_stored_only_hashed(app: TestApp) {
    let huge = "9".repeat(60_000);
    let problem = assert_problem(app.login(&huge, "wrong password!").await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("login"), Some("too_long"))
    );
    let forgot = app.post_json("/api/v1/auth/password/forgot", &json!({"login": huge})).await;
    assert_problem(forgot, 422, "validation_failed").await;
    assert!(stored_login_keys(&app).await.is_empty(), "nothing stored for a refused name");

    assert_eq!(app.login("0912 345 678", "wrong password!").await.status(), 401);
    assert_eq!(app.login("someone@example.vn", "wrong password!").await.status(), 401);
    let keys = stored_login_keys(&app).await;
    assert_eq!(keys.len(), 2);
    for key in keys {
        assert!(key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    }
}

async fn addresses_the_mailer_cannot_use_are_refused(app: TestApp) {
    for email in ["a<b>@x.vn", "a@x.vn>", "a b@x.vn"] {
        let body = json!({"email": email, "password": PASSWORD, "full_name": "An", "consent": true});
        let problem =
            assert_problem(app.post_json("/api/v1/auth/register", &body).await, 422, "validation_failed").await;
        assert_eq!(
            (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
            (Some("email"), Some("invalid_email"))
        );
    }
    let citizen = app.citizen("0912345678").await;
    let response = app.patch_json_as(&citizen.token, "/api/v1/me", &json!({"email": "a<b>@x.vn"})).await;
    assert_problem(response, 422, "validation_failed").await;
    let admin = app.admin_token().await;
    let body = json!({"email": "can<bo>@x.vn", "full_name": "Cán bộ", "role": "official", "unit_code": "68"});
    assert_problem(app.post_json_as(&admin, "/api/v1/admin/users", &body).await, 422, "validation_failed").await;
}
