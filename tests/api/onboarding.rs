//! Onboarding drives: signed codes, QR codes that decode to the deep link, attribution once, assisted
//! sign-up and activation, tallies that add up, and campaigns scoped to the official's province.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, sign_up, Citizen, TestApp, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    forged_altered_closed_and_ended_codes_are_refused_each_in_its_own_way,
    the_qr_codes_decode_to_the_exact_deep_link,
    a_sign_up_is_credited_once,
    an_assisted_account_activates_only_with_its_code_and_only_once,
    the_tallies_add_up,
    officials_manage_only_their_own_province_campaigns,
);
on_both_databases!(with [("CDS_SMS", "off")] => without_an_sms_gateway_no_account_is_opened_for_a_neighbour);

fn vietnam_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

fn day(offset: i64) -> String {
    (vietnam_today() + chrono::Duration::days(offset)).to_string()
}

#[derive(Debug, Deserialize)]
struct Campaign {
    id: String,
}

/// A campaign's volunteer (or its own code, on a wall poster).
#[derive(Debug, Deserialize)]
struct Agent {
    id: String,
    code: String,
    link: String,
}

async fn campaign(app: &TestApp, token: &str, unit: &str) -> Campaign {
    let body = json!({"name": "Đi từng ngõ, gõ từng nhà", "unit_code": unit, "starts_on": day(-3), "ends_on": day(30), "target_signups": 10});
    let response = app.post_json_as(token, "/api/v1/admin/campaigns", &body).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn agent(app: &TestApp, token: &str, campaign: &Campaign, body: Value) -> Agent {
    let path = format!("/api/v1/admin/campaigns/{}/agents", campaign.id);
    let response = app.post_json_as(token, &path, &body).await;
    assert_eq!(response.status(), 201, "{body}");
    response.json().await.unwrap()
}

async fn resolve(app: &TestApp, code: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/onboarding/{code}")).await
}

async fn register_with_code(app: &TestApp, phone: &str, code: Option<&str>) -> reqwest::Response {
    let mut body = sign_up(json!({"phone": phone}));
    if let Some(code) = code {
        body["onboarding_code"] = json!(code);
    }
    app.post_json("/api/v1/auth/register", &body).await
}

async fn stats(app: &TestApp, token: &str, campaign: &Campaign) -> Value {
    let path = format!("/api/v1/admin/campaigns/{}/stats", campaign.id);
    let response = app.get_as(token, &path).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn forged_altered_closed_and_ended_codes_are_refused_each_in_its_own_way(app: TestApp) {
    let admin = app.admin_token().await;
    let drive = campaign(&app, &admin, "22945").await;
    let hoa = agent(&app, &admin, &drive, json!({"display_name": "Chị Hoa"})).await;
    let code = hoa.code.as_str();
    assert_eq!(code.len(), 12);

    let info: Value = resolve(&app, code).await.json().await.unwrap();
    assert_eq!(
        (info["campaign_name"].as_str(), info["agent_display_name"].as_str(), info["unit_name"].as_str()),
        (Some("Đi từng ngõ, gõ từng nhà"), Some("Chị Hoa"), Some("Phường Phan Thiết"))
    );
    assert_eq!(info["active"], true);
    assert_eq!(resolve(&app, &code.to_lowercase()).await.status(), 200, "read in any case");

    let mut altered = code.to_string();
    let last = if altered.ends_with('0') { "4" } else { "0" };
    altered.replace_range(11..12, last);
    assert_problem(resolve(&app, &altered).await, 404, "onboarding_code_invalid").await;
    let mut renumbered = code.to_string();
    renumbered.replace_range(0..1, if code.starts_with('1') { "2" } else { "1" });
    assert_problem(resolve(&app, &renumbered).await, 404, "onboarding_code_invalid").await;
    assert_problem(resolve(&app, "ABCDEFGHJKMN").await, 404, "onboarding_code_invalid").await;
    let problem =
        assert_problem(register_with_code(&app, "0912345678", Some(&altered)).await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("onboarding_code"), Some("onboarding_code_invalid"))
    );

    // A deactivated agent's code still reads, but credits nobody.
    let agent_path = format!("/api/v1/admin/campaigns/{}/agents/{}", drive.id, hoa.id);
    assert_eq!(app.patch_json_as(&admin, &agent_path, &json!({"active": false})).await.status(), 200);
    assert_eq!(resolve(&app, code).await.json::<Value>().await.unwrap()["active"], false);
    let problem =
        assert_problem(register_with_code(&app, "0912345678", Some(code)).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "onboarding_agent_inactive");
    assert_eq!(app.patch_json_as(&admin, &agent_path, &json!({"active": true})).await.status(), 200);

    let campaign_path = format!("/api/v1/admin/campaigns/{}", drive.id);
    let ended = app.patch_json_as(&admin, &campaign_path, &json!({"starts_on": day(-30), "ends_on": day(-1)})).await;
    assert_eq!(ended.json::<Value>().await.unwrap()["status"], "ended");
    assert_problem(resolve(&app, code).await, 410, "onboarding_campaign_ended").await;
    app.patch_json_as(&admin, &campaign_path, &json!({"ends_on": day(1)})).await;
    assert_eq!(resolve(&app, code).await.status(), 200);

    let closed = app.post_json_as(&admin, &format!("{campaign_path}/close"), &json!({})).await;
    assert_eq!(closed.json::<Value>().await.unwrap()["status"], "closed");
    assert_problem(resolve(&app, code).await, 410, "onboarding_campaign_closed").await;
    assert_problem(
        app.post_json_as(&admin, &format!("{campaign_path}/close"), &json!({})).await,
        409,
        "campaign_closed",
    )
    .await;
    let problem =
        assert_problem(register_with_code(&app, "0912345678", Some(code)).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "onboarding_campaign_closed");
    assert_eq!(register_with_code(&app, "0912345678", None).await.status(), 201, "without the code, signing up works");
}

/// Draws the dark modules of an SVG path of `M{x} {y}h{run}v1h-{run}z` runs, 8 pixels a module.
fn rasterize(svg: &str) -> image::GrayImage {
    let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    let span: u32 = svg.split("viewBox=\"0 0 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let mut image = image::GrayImage::from_pixel(span * 8, span * 8, image::Luma([255]));
    for run in d.split('M').filter(|r| !r.is_empty()) {
        let (x, rest) = run.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let length: u32 = rest.split('v').next().unwrap().parse().unwrap();
        let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
        for px in x * 8..(x + length) * 8 {
            for py in y * 8..(y + 1) * 8 {
                image.put_pixel(px, py, image::Luma([0]));
            }
        }
    }
    image
}

fn decode(image: image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (meta, content) = grids[0].decode().expect("a readable QR code");
    assert_eq!(meta.ecc_level, 2, "error correction H");
    content
}

async fn the_qr_codes_decode_to_the_exact_deep_link(app: TestApp) {
    let admin = app.admin_token().await;
    let drive = campaign(&app, &admin, "22945").await;
    let hoa = agent(&app, &admin, &drive, json!({"display_name": "Chị Hoa"})).await;
    let link = hoa.link.as_str();
    assert_eq!(link, format!("http://congdanso.test/app?c={}", hoa.code));
    let base = format!("/api/v1/admin/campaigns/{}/agents/{}", drive.id, hoa.id);

    let png = app.get_as(&admin, &format!("{base}/qr.png?size=300")).await;
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&png.bytes().await.unwrap()).unwrap().to_luma8();
    assert_eq!(image.dimensions(), (300, 300));
    assert_eq!(decode(image), link);

    let svg = app.get_as(&admin, &format!("{base}/qr.svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml; charset=utf-8");
    assert_eq!(decode(rasterize(&svg.text().await.unwrap())), link);

    let poster =
        app.get_as(&admin, &format!("/api/v1/admin/campaigns/{}/poster.svg?agent_id={}", drive.id, hoa.id)).await;
    assert_eq!(poster.status(), 200);
    let poster = poster.text().await.unwrap();
    for text in ["210mm", "297mm", "Đi từng ngõ, gõ từng nhà", "Phường Phan Thiết", "Quét mã", "Chị Hoa", link]
    {
        assert!(poster.contains(text), "the poster shows {text:?}");
    }

    assert_problem(app.get_as(&admin, &format!("{base}/qr.png?size=10")).await, 422, "validation_failed").await;

    // A poster without a volunteer carries the campaign's own code, the same one every time.
    let wall_poster = format!("/api/v1/admin/campaigns/{}/poster.svg", drive.id);
    let campaign_code = |poster: &str| poster.split("?c=").nth(1).unwrap()[..12].to_string();
    let first = campaign_code(&app.get_as(&admin, &wall_poster).await.text().await.unwrap());
    let again = campaign_code(&app.get_as(&admin, &wall_poster).await.text().await.unwrap());
    assert_eq!(first, again);
    assert_ne!(first, hoa.code);
    let info: Value = resolve(&app, &first).await.json().await.unwrap();
    assert_eq!(
        (info["agent_display_name"].as_str(), info["active"].as_bool()),
        (Some("Áp phích của chiến dịch"), Some(true))
    );
    assert_eq!(register_with_code(&app, "0912345678", Some(&first)).await.status(), 201);
    let tally = stats(&app, &admin, &drive).await;
    assert_eq!((tally["total"].as_i64(), tally["per_unit"][0]["unit_code"].as_str()), (Some(1), Some("22945")));
    let agents: Value =
        app.get_as(&admin, &format!("/api/v1/admin/campaigns/{}/agents", drive.id)).await.json().await.unwrap();
    assert_eq!(agents["items"].as_array().unwrap().len(), 2, "the volunteer and the campaign's own code");
    let unknown_agent = format!("/api/v1/admin/campaigns/{}/agents/nobody/qr.svg", drive.id);
    assert_problem(app.get_as(&admin, &unknown_agent).await, 404, "agent_not_found").await;
}

async fn a_sign_up_is_credited_once(app: TestApp) {
    let admin = app.admin_token().await;
    let first = campaign(&app, &admin, "22945").await;
    let second = campaign(&app, &admin, "22918").await;
    let hoa = agent(&app, &admin, &first, json!({"display_name": "Chị Hoa"})).await;
    let lan = agent(&app, &admin, &second, json!({"display_name": "Chị Lan"})).await;

    let response = register_with_code(&app, "0912345678", Some(&hoa.code)).await;
    assert_eq!(response.status(), 201);
    let citizen = response.json::<Citizen>().await.unwrap().token;
    let credited = stats(&app, &admin, &first).await;
    assert_eq!(
        (credited["total"].as_i64(), credited["per_agent"][0]["agent_id"].as_str()),
        (Some(1), Some(hoa.id.as_str()))
    );
    assert_eq!(credited["per_unit"][0]["unit_code"], "22945");

    // A later code does not move the account.
    let later = app.post_json_as(&citizen, "/api/v1/me/onboarding", &json!({"code": lan.code})).await;
    assert_problem(later, 409, "already_credited").await;
    let again = app.post_json_as(&citizen, "/api/v1/me/onboarding", &json!({"code": hoa.code})).await;
    assert_eq!(again.status(), 200, "the same code again is a retry, not a second credit");
    assert_eq!(stats(&app, &admin, &first).await["total"], 1);
    assert_eq!(stats(&app, &admin, &second).await["total"], 0);

    // An account that signed up without a code is credited by its first scan.
    let late = register_with_code(&app, "0987654321", None).await.json::<Citizen>().await.unwrap();
    let credited = app.post_json_as(&late.token, "/api/v1/me/onboarding", &json!({"code": lan.code})).await;
    assert_eq!(credited.status(), 200);
    assert_eq!(credited.json::<Value>().await.unwrap()["agent_id"], lan.id);
    assert_eq!(stats(&app, &admin, &second).await["total"], 1);
}

/// The text messages the app's file sender has written to `phone` so far.
fn messages_to(app: &TestApp, phone: &str) -> Vec<String> {
    let sent = std::fs::read_to_string(app.data_dir.join("sms.jsonl")).unwrap_or_default();
    sent.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|m| m["to"] == phone)
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (up to 15 s) for the outbox worker to hand the `count`th message for `phone` to the sender.
async fn nth_message_to(app: &TestApp, phone: &str, count: usize) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(text) = messages_to(app, phone).get(count - 1) {
            return text.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no message {count} to {phone}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a six-digit code").to_string()
}

async fn an_assisted_account_activates_only_with_its_code_and_only_once(app: TestApp) {
    let admin = app.admin_token().await;
    let volunteer = app.staff(&admin, json!({"email": "hoa@doan.vn", "role": "volunteer", "unit_code": "22945"})).await;
    let other_volunteer =
        app.staff(&admin, json!({"email": "lan@doan.vn", "role": "volunteer", "unit_code": "22945"})).await.token;
    let drive = campaign(&app, &admin, "22945").await;
    let hoa = agent(&app, &admin, &drive, json!({"display_name": "Chị Hoa", "user_id": volunteer.id})).await;
    let mine: Value = app.get_as(&volunteer.token, "/api/v1/me/agents").await.json().await.unwrap();
    assert_eq!(mine["items"][0]["code"], hoa.code);

    let neighbour =
        json!({"agent_id": hoa.id, "phone": "0912 345 678", "full_name": "Cụ Trần Văn Bảy", "consent": true});
    let opened = app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted", &neighbour).await;
    assert_eq!(opened.status(), 201);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["activation_sent_to"], "+84912345678");
    let retried = app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted", &neighbour).await;
    assert_eq!(retried.status(), 200, "a retry gets the same account");
    assert_eq!(retried.json::<Value>().await.unwrap()["user"]["id"], opened["user"]["id"]);
    assert_problem(
        app.post_json_as(&other_volunteer, "/api/v1/onboarding/assisted", &neighbour).await,
        404,
        "agent_not_found",
    )
    .await;
    let no_consent = json!({"agent_id": hoa.id, "phone": "0987654321", "full_name": "Bà Tư", "consent": false});
    assert_problem(
        app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted", &no_consent).await,
        422,
        "validation_failed",
    )
    .await;

    let lost = six_digits(&nth_message_to(&app, "+84912345678", 1).await);
    // The first message is lost: the volunteer has a new code sent; the old one stops working.
    let resend = json!({"agent_id": hoa.id, "phone": "0912345678"});
    assert_problem(
        app.post_json_as(&other_volunteer, "/api/v1/onboarding/assisted/resend", &resend).await,
        404,
        "agent_not_found",
    )
    .await;
    assert_eq!(app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted/resend", &resend).await.status(), 202);
    let code = six_digits(&nth_message_to(&app, "+84912345678", 2).await);
    // Neither the code nor a plain hash of it is stored: a copy of the database activates nothing.
    let user_id = opened["user"]["id"].as_str().unwrap().to_string();
    let outbox = app.outbox().await;
    assert!(outbox.iter().all(|message| !message.body.contains(&code)), "{outbox:?}");
    let owner = user_id.clone();
    let hashes: Vec<String> = app
        .database()
        .run(move |conn| {
            use congdanso::db::schema::one_time_tokens;
            use diesel::prelude::*;
            let mine = one_time_tokens::table.filter(one_time_tokens::user_id.eq(&owner));
            Ok(mine.select(one_time_tokens::token_hash).load(conn)?)
        })
        .await
        .unwrap();
    assert!(!hashes.contains(&congdanso::auth::tokens::token_hash(&format!("{user_id}:{code}"))));
    assert_eq!(app.login("0912345678", "anything at all").await.status(), 401, "no password before activation");
    let app = &app;
    let activate = |code: String| async move {
        let body = json!({"phone": "0912345678", "code": code, "password": PASSWORD});
        app.post_json("/api/v1/onboarding/activate", &body).await
    };
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_problem(activate(wrong.to_string()).await, 400, "invalid_token").await;
    if lost != code {
        assert_problem(activate(lost).await, 400, "invalid_token").await;
    }
    let activated = activate(code.clone()).await;
    assert_eq!(activated.status(), 200);
    assert_eq!(activated.json::<Value>().await.unwrap()["user"]["phone"], "+84912345678");
    assert_problem(activate(code.clone()).await, 400, "invalid_token").await;
    assert_eq!(app.login("0912345678", PASSWORD).await.status(), 200);
    let queued = app.outbox().await.into_iter().filter(|message| message.recipient == "+84912345678").count();
    assert_eq!(queued, 2, "the retried sign-up sent no message; the resend did");

    let tally = stats(&app, &admin, &drive).await;
    assert_eq!((tally["total"].as_i64(), tally["assisted"].as_i64()), (Some(1), Some(1)));
    // After activation the same request is a new sign-up for a taken phone.
    assert_problem(
        app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted", &neighbour).await,
        409,
        "account_exists",
    )
    .await;
}

async fn the_tallies_add_up(app: TestApp) {
    let admin = app.admin_token().await;
    let drive = {
        let body = json!({"name": "Lâm Đồng số", "unit_code": "68", "starts_on": day(-10), "ends_on": day(30), "target_signups": 8});
        app.post_json_as(&admin, "/api/v1/admin/campaigns", &body).await.json::<Campaign>().await.unwrap()
    };
    let hoa = agent(&app, &admin, &drive, json!({"display_name": "Chị Hoa", "unit_code": "22945"})).await;
    let lan = agent(&app, &admin, &drive, json!({"display_name": "Chị Lan", "unit_code": "22918"})).await;
    let idle = agent(&app, &admin, &drive, json!({"display_name": "Anh Minh"})).await;
    let outside = json!({"display_name": "Anh Tư", "unit_code": "00004"});
    let path = format!("/api/v1/admin/campaigns/{}/agents", drive.id);
    assert_problem(app.post_json_as(&admin, &path, &outside).await, 422, "validation_failed").await;

    let mut tokens = Vec::new();
    for (i, code) in [&hoa, &hoa, &hoa, &lan, &lan].iter().map(|a| a.code.as_str()).enumerate() {
        let response = register_with_code(&app, &format!("091234567{i}"), Some(code)).await;
        tokens.push(response.json::<Citizen>().await.unwrap());
    }
    // Two of them were signed up on earlier days (Vietnamese days).
    let db = app.database();
    let earlier = |phone: &'static str, days: i64| {
        db.run(move |conn| {
            use congdanso::db::schema::{onboarding_signups, users};
            use diesel::prelude::*;
            let user = users::table.filter(users::phone.eq(phone)).select(users::id);
            let at = chrono::Utc::now().naive_utc() - chrono::Duration::days(days);
            diesel::update(onboarding_signups::table.filter(onboarding_signups::user_id.eq_any(user)))
                .set(onboarding_signups::created_at.eq(at))
                .execute(conn)?;
            Ok(())
        })
    };
    earlier("+84912345670", 2).await.unwrap();
    earlier("+84912345673", 1).await.unwrap();
    // Two go on to use the app: one files a report, one supports it.
    let phan_thiet = report_at((10.93, 108.1), json!({"category": "waste", "description": "Rác chưa được thu gom."}));
    let report = app.file_report(&tokens[0], &phan_thiet).await;
    app.post_json_as(&tokens[3].token, &format!("/api/v1/reports/{}/support", report.id), &json!({})).await;

    let tally = stats(&app, &admin, &drive).await;
    let sum = |list: &str| tally[list].as_array().unwrap().iter().map(|g| g["signups"].as_i64().unwrap()).sum::<i64>();
    assert_eq!(tally["total"], 5);
    assert_eq!((sum("per_agent"), sum("per_day"), sum("per_unit")), (5, 5, 5));
    assert_eq!(tally["per_day"].as_array().unwrap().len(), 3);
    assert_eq!(tally["per_agent"][0]["display_name"], "Chị Hoa");
    assert_eq!(tally["per_agent"][2]["agent_id"], idle.id, "an agent who reached nobody is listed too");
    assert_eq!(tally["progress"], 0.625);
    assert_eq!((tally["activated"].as_i64(), tally["activation_rate"].as_f64()), (Some(2), Some(0.4)));
    let units: Vec<&str> =
        tally["per_unit"].as_array().unwrap().iter().map(|u| u["unit_code"].as_str().unwrap()).collect();
    assert_eq!(units, ["22918", "22945"]);

    let csv = app.get_as(&admin, &format!("/api/v1/admin/campaigns/{}/stats?format=csv", drive.id)).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("date,agent_id,agent_name,unit_code,unit_name,signups,activated"));
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.iter().map(|r| r[5].parse::<i64>().unwrap()).sum::<i64>(), 5);
    assert_eq!(rows.iter().map(|r| r[6].parse::<i64>().unwrap()).sum::<i64>(), 2);

    let province: Value = app.get_as(&admin, "/api/v1/admin/onboarding/stats?province=68").await.json().await.unwrap();
    assert_eq!((province["total"].as_i64(), province["activated"].as_i64()), (Some(5), Some(2)));
    assert_eq!(province["campaigns"][0]["signups"], 5);
    assert_eq!(province["province_name"], "Tỉnh Lâm Đồng");
    assert_problem(
        app.get_as(&admin, &format!("/api/v1/admin/campaigns/{}/stats?format=xml", drive.id)).await,
        422,
        "validation_failed",
    )
    .await;
}

async fn officials_manage_only_their_own_province_campaigns(app: TestApp) {
    let admin = app.admin_token().await;
    let official = |unit: &str, email: &str| json!({"email": email, "role": "official", "unit_code": unit});
    let lam_dong = app.staff(&admin, official("68", "so@lamdong.gov.vn")).await.token;
    let ward = app.staff(&admin, official("22945", "phuong@phanthiet.gov.vn")).await.token;
    let saigon = app.staff(&admin, official("79", "so@tphcm.gov.vn")).await.token;
    let citizen = app.citizen("0912345678").await.token;

    let drive = campaign(&app, &lam_dong, "22945").await;
    let own = campaign(&app, &ward, "22945").await;
    let id = drive.id.as_str();
    let body = json!({"name": "Ngoài tỉnh", "unit_code": "00004", "starts_on": day(0), "ends_on": day(9), "target_signups": 5});
    assert_problem(app.post_json_as(&lam_dong, "/api/v1/admin/campaigns", &body).await, 403, "forbidden").await;
    let body = json!({"name": "Phường khác", "unit_code": "22918", "starts_on": day(0), "ends_on": day(9), "target_signups": 5});
    assert_problem(app.post_json_as(&ward, "/api/v1/admin/campaigns", &body).await, 403, "forbidden").await;
    assert_problem(app.post_json_as(&citizen, "/api/v1/admin/campaigns", &body).await, 403, "forbidden").await;

    // Another province's official learns nothing, not even that the campaign exists.
    for path in [
        format!("/api/v1/admin/campaigns/{id}"),
        format!("/api/v1/admin/campaigns/{id}/stats"),
        format!("/api/v1/admin/campaigns/{id}/agents"),
    ] {
        assert_problem(app.get_as(&saigon, &path).await, 404, "campaign_not_found").await;
        assert_eq!(app.get_as(&lam_dong, &path).await.status(), 200, "{path}");
    }
    let add = json!({"display_name": "Chị Hoa"});
    assert_problem(
        app.post_json_as(&saigon, &format!("/api/v1/admin/campaigns/{id}/agents"), &add).await,
        404,
        "campaign_not_found",
    )
    .await;
    assert_problem(
        app.post_json_as(&saigon, &format!("/api/v1/admin/campaigns/{id}/close"), &json!({})).await,
        404,
        "campaign_not_found",
    )
    .await;
    assert_problem(app.get_as(&saigon, "/api/v1/admin/onboarding/stats?province=68").await, 403, "forbidden").await;
    assert_eq!(app.get_as(&saigon, "/api/v1/admin/onboarding/stats?province=79").await.status(), 200);

    let listed: Value = app.get_as(&saigon, "/api/v1/admin/campaigns").await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    let listed: Value = app.get_as(&lam_dong, "/api/v1/admin/campaigns").await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "the province official sees the ward's campaign too");
    let listed: Value = app.get_as(&ward, "/api/v1/admin/campaigns").await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "both are of the ward's unit");
    assert_eq!(app.get_as(&ward, &format!("/api/v1/admin/campaigns/{}", own.id)).await.status(), 200);

    // A province-wide campaign covers the ward: its official reads it, but only the province changes it.
    let body =
        json!({"name": "Lâm Đồng số", "unit_code": "68", "starts_on": day(0), "ends_on": day(9), "target_signups": 5});
    let province_wide: Campaign =
        app.post_json_as(&lam_dong, "/api/v1/admin/campaigns", &body).await.json().await.unwrap();
    let path = format!("/api/v1/admin/campaigns/{}", province_wide.id);
    assert_eq!(app.get_as(&ward, &path).await.status(), 200);
    assert_eq!(app.get_as(&ward, &format!("{path}/stats")).await.status(), 200);
    assert_problem(app.post_json_as(&ward, &format!("{path}/close"), &json!({})).await, 403, "forbidden").await;
    assert_problem(app.post_json_as(&ward, &format!("{path}/agents"), &add).await, 403, "forbidden").await;
    let listed: Value = app.get_as(&ward, "/api/v1/admin/campaigns").await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    assert_problem(app.get_as(&saigon, &path).await, 404, "campaign_not_found").await;

    // The province's tallies agree with what each official may read: a commune official sees the
    // province's totals, but not another ward's campaign nor its sign-ups per unit.
    let other_ward = campaign(&app, &lam_dong, "22918").await;
    let code = agent(&app, &lam_dong, &other_ward, json!({"display_name": "Anh Nam"})).await.code;
    app.register(sign_up(json!({"phone": "0987654321", "full_name": "Lê Văn Tám", "onboarding_code": code}))).await;
    let stats = |token: &str| {
        let request = app.client.get(app.url("/api/v1/admin/onboarding/stats?province=68")).bearer_auth(token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let campaign_ids = |stats: &Value| -> Vec<String> {
        let mut ids: Vec<String> =
            stats["campaigns"].as_array().unwrap().iter().map(|c| c["campaign_id"].as_str().unwrap().into()).collect();
        ids.sort();
        ids
    };
    let units = |stats: &Value| -> Vec<String> {
        stats["per_unit"].as_array().unwrap().iter().map(|u| u["unit_code"].as_str().unwrap().into()).collect()
    };
    let whole = stats(&lam_dong).await;
    assert_eq!((whole["total"].as_i64(), units(&whole)), (Some(1), vec!["22918".to_string()]));
    assert_eq!(campaign_ids(&whole).len(), 4);
    let from_the_ward = stats(&ward).await;
    assert_eq!(from_the_ward["total"], 1, "the province's total");
    assert!(units(&from_the_ward).is_empty(), "no other ward's row");
    let readable = |id: &str| {
        let path = format!("/api/v1/admin/campaigns/{id}");
        let request = app.client.get(app.url(&path)).bearer_auth(&ward);
        async move { request.send().await.unwrap().status() == 200 }
    };
    let mut expected = Vec::new();
    for id in campaign_ids(&whole) {
        if readable(&id).await {
            expected.push(id);
        }
    }
    assert_eq!(campaign_ids(&from_the_ward), expected);
    assert!(!expected.contains(&other_ward.id));

    let invalid =
        json!({"name": "x", "unit_code": "22945", "starts_on": day(5), "ends_on": day(1), "target_signups": 0});
    let problem =
        assert_problem(app.post_json_as(&admin, "/api/v1/admin/campaigns", &invalid).await, 422, "validation_failed")
            .await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "ends_on", "target_signups"]);
}

async fn without_an_sms_gateway_no_account_is_opened_for_a_neighbour(app: TestApp) {
    let admin = app.admin_token().await;
    let volunteer = app.staff(&admin, json!({"email": "hoa@doan.vn", "role": "volunteer", "unit_code": "22945"})).await;
    let drive = campaign(&app, &admin, "22945").await;
    let hoa = agent(&app, &admin, &drive, json!({"display_name": "Chị Hoa", "user_id": volunteer.id})).await;
    let neighbour = json!({"agent_id": hoa.id, "phone": "0912345678", "full_name": "Cụ Bảy", "consent": true});
    let refused = app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted", &neighbour).await;
    assert_problem(refused, 503, "sms_unavailable").await;
    // Nothing was opened: the neighbour can still sign up with this phone themselves.
    assert_eq!(app.citizen("0912345678").await.phone.as_deref(), Some("+84912345678"));
    let resend = json!({"agent_id": hoa.id, "phone": "0912345678"});
    let refused = app.post_json_as(&volunteer.token, "/api/v1/onboarding/assisted/resend", &resend).await;
    assert_problem(refused, 503, "sms_unavailable").await;
}
