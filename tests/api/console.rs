//! The officials' console: its session and security headers over HTTP, and its screens driven in a real
//! headless Chromium (`common::browser`), which writes the screenshots the README shows
//! (`docs/screenshots/`).

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::common::browser::{Browser, ARROW_RIGHT, ENTER, TAB};
use crate::common::{assert_problem, jpeg, report_at, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    the_console_is_served_with_a_strict_policy,
    the_console_session_lives_in_an_httponly_cookie_and_refuses_other_sites,
);

/// The browser tests run on SQLite only: the page sees nothing of the database, and the API behind it is
/// tested on both; a Chromium per test is the suite's dearest part on a two-core machine.
mod in_the_browser {
    use crate::common::{Backend, TestApp};

    async fn on_sqlite<F: std::future::Future<Output = ()>>(test: impl FnOnce(TestApp) -> F) {
        let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite is always available");
        let servers = app.servers();
        test(app).await;
        servers.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_official_takes_a_new_report_from_the_inbox_to_its_resolution() {
        on_sqlite(super::an_official_takes_a_new_report_from_the_inbox_to_its_resolution).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_inbox_works_from_the_keyboard_alone() {
        on_sqlite(super::the_inbox_works_from_the_keyboard_alone).await;
    }
}

/// An official of `organization` who can log in with the returned email and password.
async fn official(app: &TestApp, admin: &str, organization: &str, email: &str) -> (String, String) {
    let fields = json!({"email": email, "full_name": "Nguyễn Thị Hạnh"});
    let (_, password) = app.new_official(admin, organization, fields).await;
    (email.to_string(), password)
}

fn console_post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client.post(app.url(path)).header("X-Console", "1")
}

async fn the_console_is_served_with_a_strict_policy(app: TestApp) {
    for path in ["/console", "/console/", "/console/console.js", "/console/vendor/leaflet/leaflet.js"] {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    }
    let page = app.client.get(app.url("/console")).send().await.unwrap();
    let etag = page.headers()["etag"].clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">") && !html.contains("<script>") && !html.contains("style="), "{html}");
    let again = app.client.get(app.url("/console")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304, "a slow link fetches the page once");
    assert_eq!(app.client.get(app.url("/console/nothing.js")).send().await.unwrap().status(), 404);
}

async fn the_console_session_lives_in_an_httponly_cookie_and_refuses_other_sites(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let (email, password) = official(&app, &admin, &report.organization_id, "hanh@xuanhuong.gov.vn").await;
    let credentials = json!({"login": email, "password": password});

    // Requests another site could make are refused before anything else.
    let no_header = app.client.post(app.url("/console/session")).json(&credentials).send().await.unwrap();
    assert_problem(no_header, 403, "cross_site_request").await;
    let cross_site = console_post(&app, "/console/session").header("Sec-Fetch-Site", "cross-site").json(&credentials);
    assert_problem(cross_site.send().await.unwrap(), 403, "cross_site_request").await;
    let other_origin =
        console_post(&app, "/console/session").header("Origin", "https://evil.example").json(&credentials);
    assert_problem(other_origin.send().await.unwrap(), 403, "cross_site_request").await;

    // Citizens are told the console is not for them.
    let citizen_login = json!({"login": "0912345678", "password": crate::common::PASSWORD});
    let refused = console_post(&app, "/console/session").json(&citizen_login).send().await.unwrap();
    assert_problem(refused, 403, "console_staff_only").await;

    let signed_in = console_post(&app, "/console/session").json(&credentials).send().await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console/session"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let body: Value = signed_in.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "the page never sees the refresh token: {body}");
    let access = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.get_as(&access, "/api/v1/admin/reports").await.status(), 200);

    // The cookie refreshes (and rotates); the used one is spent.
    let pair = cookie.split(';').next().unwrap().to_string();
    let refreshed = console_post(&app, "/console/session/refresh").header("Cookie", &pair).send().await.unwrap();
    assert_eq!(refreshed.status(), 200);
    let next = refreshed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    assert_ne!(next, pair);
    let no_cookie = console_post(&app, "/console/session/refresh").send().await.unwrap();
    assert_problem(no_cookie, 401, "invalid_refresh_token").await;

    // Log-out ends the session: the cookie is cleared and the access token stops working at once.
    let out = app.client.delete(app.url("/console/session")).header("X-Console", "1").header("Cookie", &next);
    let out = out.send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(app.get_as(&access, "/api/v1/admin/reports").await.status(), 401);
    let after = console_post(&app, "/console/session/refresh").header("Cookie", &next).send().await.unwrap();
    assert_eq!(after.status(), 401);
}

/// Where the screenshots the README shows are kept.
fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots").join(format!("console-{name}.png"))
}

async fn log_in(browser: &Browser, app: &TestApp, login: &str, password: &str) {
    browser.open(&app.url("/console#/login")).await;
    for (field, text) in [("#login", login), ("#password", password)] {
        let input = browser.find(field).await;
        input.clear().await;
        input.type_text(text).await;
    }
    browser.find("form.login button[type=submit]").await.click().await;
}

async fn an_official_takes_a_new_report_from_the_inbox_to_its_resolution(app: TestApp) {
    let Some(browser) = Browser::start().await else { return };
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let elsewhere =
        app.file_report(&citizen, &report_at(SAI_GON, json!({"description": "Đèn đường hỏng ở Quận 1."}))).await;
    let (email, password) = official(&app, &admin, &report.organization_id, "hanh@xuanhuong.gov.vn").await;

    // A citizen is turned away, in words.
    log_in(&browser, &app, "0912345678", crate::common::PASSWORD).await;
    browser.wait_for_text("#login-error", "dành cho cán bộ").await;
    browser.screenshot(&screenshot("login")).await;

    log_in(&browser, &app, &email, &password).await;
    let row = browser.wait_for_text("table.reports", "Ngập nặng sau mưa ở hẻm 12.").await;
    assert!(!row.contains("Đèn đường hỏng"), "another ward's report is not in this inbox: {row}");
    let tab = browser.find("#tab-submitted").await.text().await;
    assert!(tab.starts_with("Mới gửi") && tab.trim_end().ends_with('1'), "{tab}");
    // Vietnamese renders in the bundled font: every letter has its glyph.
    let fonts = browser
        .run_async("await document.fonts.ready; return document.fonts.check('16px \"Noto Sans\"', 'Phản ánh đã được xử lý — Đường Trần Hưng Đạo');")
        .await;
    assert_eq!(fonts, json!(true));
    let family = browser.run("return getComputedStyle(document.body).fontFamily;", json!([])).await;
    assert!(family.as_str().unwrap().starts_with("\"Noto Sans\""), "{family}");
    browser.screenshot(&screenshot("inbox")).await;
    browser.find("button[aria-pressed=false]").await.click().await;
    browser.find("#inbox-map .leaflet-marker-icon").await;
    browser.screenshot(&screenshot("inbox-map")).await;

    // The report, accepted and resolved with a photo of the result.
    browser.open(&app.url(&format!("/console#/reports/{}", report.id))).await;
    browser.wait_for_text("#report-status", "Mới gửi").await;
    browser.find("#action-accept").await.click().await;
    browser.find("#dialog-confirm").await.click().await;
    browser.wait_for_text("#report-status", "Đã tiếp nhận").await;
    browser.wait_for_text("#report-deadline", "Còn").await;
    browser.find("#action-resolve").await.click().await;
    browser.find("#dialog-note").await.type_text("Đã nạo vét cống, nước đã rút.").await;
    let photo = std::env::temp_dir().join(format!("ket-qua-{}.jpg", uuid::Uuid::now_v7().simple()));
    std::fs::write(&photo, jpeg(640, 480)).unwrap();
    browser.find("#dialog-photos").await.type_text(photo.to_str().unwrap()).await;
    browser.find("#dialog-confirm").await.click().await;
    browser.wait_for_text("#report-status", "Đã xử lý").await;
    browser.wait_for_text("#timeline", "Đã nạo vét cống").await;
    browser.find(".photos img[src^='blob:']").await;
    browser.screenshot(&screenshot("report")).await;
    let _ = std::fs::remove_file(photo);

    // The citizen, over the API, sees the resolution and its photo.
    let seen: Value = app.get_json_as(&citizen.token, &format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(seen["status"], "resolved");
    assert_eq!(seen["result_media"].as_array().unwrap().len(), 1);

    // Another report's page, out of this official's jurisdiction, shows nothing of it.
    browser.open(&app.url(&format!("/console#/reports/{}", elsewhere.id))).await;
    let refused = browser.wait_for_text("main [role=alert]", "").await;
    assert!(!refused.contains("Đèn đường hỏng"), "{refused}");
    assert!(!browser.text_of_page().await.contains("Đèn đường hỏng"));

    // Log-out ends the session: a reload asks to log in again.
    browser.find("#logout").await.click().await;
    browser.find("#login").await;
    browser.open(&app.url("/console#/inbox")).await;
    browser.find("#login").await;
}

async fn the_inbox_works_from_the_keyboard_alone(app: TestApp) {
    let Some(browser) = Browser::start().await else { return };
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let (email, password) = official(&app, &admin, &report.organization_id, "hanh@xuanhuong.gov.vn").await;

    browser.open(&app.url("/console#/login")).await;
    browser.find("#login").await;
    assert_eq!(browser.focused().await, "login", "the first field has the focus");
    browser.press(&email).await;
    browser.press(TAB).await;
    browser.press(&password).await;
    browser.press(ENTER).await;
    browser.find("table.reports").await;

    // From the top of the page: skip link, then the tabs; arrows move between tabs, Enter opens one.
    browser.run("document.activeElement.blur(); window.scrollTo(0, 0);", json!([])).await;
    let mut seen = Vec::new();
    for _ in 0..8 {
        browser.press(TAB).await;
        let focused = browser.focused().await;
        seen.push(focused.clone());
        if focused.starts_with("tab-") {
            break;
        }
    }
    assert_eq!(browser.focused().await, "tab-all", "Tab reaches the status tabs: {seen:?}");
    browser.press(ARROW_RIGHT).await;
    assert_eq!(browser.focused().await, "tab-submitted");
    browser.press(ENTER).await;
    browser.wait_for_text("#tab-submitted", "1").await;
    assert!(browser.url().await.contains("status=submitted"));

    // Tab on to the report's link and open it with Enter.
    let mut steps = 0;
    while browser.run("return document.activeElement.closest('table.reports') !== null;", json!([])).await
        != json!(true)
    {
        browser.press(TAB).await;
        steps += 1;
        assert!(steps < 40, "the report's link is reachable by Tab");
    }
    browser.press(ENTER).await;
    browser.wait_for_text("#report-status", "Mới gửi").await;
    // Its actions are buttons in the tab order.
    browser.run("document.getElementById('action-accept').focus();", json!([])).await;
    browser.press(ENTER).await;
    browser.find("dialog[open] #dialog-confirm").await;
    browser.press(ENTER).await;
    browser.wait_for_text("#report-status", "Đã tiếp nhận").await;
}
