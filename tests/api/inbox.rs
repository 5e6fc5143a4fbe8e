//! The officials' inbox: each official sees their organizations' reports and nothing else.

use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp};
use crate::on_both_databases;

on_both_databases!(
    officials_see_their_jurisdiction_and_nothing_else,
    an_official_created_for_a_commune_works_in_its_office,
);

const DA_LAT: (f64, f64) = (11.9033, 108.443); // Phường Xuân Hương - Đà Lạt (68)
const BAO_LOC: (f64, f64) = (11.5480, 107.8077); // Bảo Lộc (68)
const SAI_GON: (f64, f64) = (10.7769, 106.7009); // Hồ Chí Minh City (79)

async fn file(app: &TestApp, token: &str, (lat, lon): (f64, f64), description: &str) -> Value {
    app.file_report(
        token,
        &json!({"category": "waste", "description": description, "position": {"lat": lat, "lon": lon}}),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

async fn officials_see_their_jurisdiction_and_nothing_else(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register(json!({"phone": "0912345678", "email": "binh@example.vn", "password": "đèn đường hỏng 2026", "full_name": "Trần Thị Bình", "consent": true})).await;
    let citizen = citizen["access_token"].as_str().unwrap().to_string();
    let da_lat = file(&app, &citizen, DA_LAT, "Rác ở chợ Đà Lạt.").await;
    let bao_loc = file(&app, &citizen, BAO_LOC, "Rác ở Bảo Lộc.").await;
    let sai_gon = file(&app, &citizen, SAI_GON, "Rác ở Sài Gòn.").await;
    let id = |r: &Value| r["id"].as_str().unwrap().to_string();

    let ward_official =
        app.official_of(&admin, da_lat["organization_id"].as_str().unwrap(), "phuong@lamdong.gov.vn", "vi").await.0;
    let city_official =
        app.official_of(&admin, sai_gon["organization_id"].as_str().unwrap(), "phuong@hcm.gov.vn", "vi").await.0;
    let ioc = app.create_ioc(&admin, "68").await;
    let ioc_official = app.official_of(&admin, ioc["id"].as_str().unwrap(), "ioc@lamdong.gov.vn", "vi").await.0;

    let inbox: Value = app.get_as(&ward_official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert_eq!(ids(&inbox), [id(&da_lat)]);
    assert_eq!(inbox["counts"]["submitted"], 1);
    let inbox: Value = app.get_as(&city_official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert_eq!(ids(&inbox), [id(&sai_gon)]);
    let inbox: Value = app.get_as(&ioc_official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert_eq!(ids(&inbox), [id(&bao_loc), id(&da_lat)], "the IOC sees its whole province, not another one");

    // Another ward's report does not exist for this official.
    assert_problem(
        app.get_as(&ward_official, &format!("/api/v1/admin/reports/{}", id(&sai_gon))).await,
        404,
        "report_not_found",
    )
    .await;
    assert_problem(
        app.get_as(&ward_official, &format!("/api/v1/admin/reports/{}", id(&bao_loc))).await,
        404,
        "report_not_found",
    )
    .await;
    let own: Value =
        app.get_as(&ward_official, &format!("/api/v1/admin/reports/{}", id(&da_lat))).await.json().await.unwrap();
    assert_eq!(own["reporter_contact"]["phone"], "+84912345678");
    assert_eq!(own["reporter_contact"]["email"], "binh@example.vn");
    assert!(own["timeline"][0]["note"].as_str().unwrap().contains("commune"));
    let audited = app
        .database()
        .run(|conn| {
            use congdanso::db::schema::audit_log;
            use diesel::prelude::*;
            Ok(audit_log::table
                .filter(audit_log::action.eq("view_reporter_contact"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(audited, 1, "the look at the contact is audited");

    // Filters.
    let filtered = |query: &str| {
        app.client.get(app.url(&format!("/api/v1/admin/reports?{query}"))).bearer_auth(&ioc_official).send()
    };
    assert_eq!(ids(&filtered("q=bao%20loc").await.unwrap().json::<Value>().await.unwrap()), [id(&bao_loc)]);
    assert_eq!(ids(&filtered("assignee=none").await.unwrap().json::<Value>().await.unwrap()).len(), 2);
    assert!(ids(&filtered("assignee=me").await.unwrap().json::<Value>().await.unwrap()).is_empty());
    let resolved: Value = filtered("status=resolved").await.unwrap().json().await.unwrap();
    assert!(ids(&resolved).is_empty());
    assert_eq!(resolved["counts"]["submitted"], 2, "counts ignore the status filter");
    assert!(ids(&filtered("overdue=true").await.unwrap().json::<Value>().await.unwrap()).is_empty());
    let page: Value = filtered("limit=1").await.unwrap().json().await.unwrap();
    let next: Value = filtered(&format!("limit=1&cursor={}", page["next_cursor"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!([ids(&page), ids(&next)].concat(), [id(&bao_loc), id(&da_lat)]);
    assert_problem(filtered("status=lost").await.unwrap(), 422, "validation_failed").await;
    // `assignee` is `me`, `none` or an id, as the contract says: anything else is refused, not matched.
    let nobody = format!("assignee={}", uuid::Uuid::now_v7());
    assert!(ids(&filtered(&nobody).await.unwrap().json::<Value>().await.unwrap()).is_empty());
    assert_problem(filtered("assignee=someone").await.unwrap(), 422, "validation_failed").await;

    // Not an official: forbidden. Removed from the organization: the reports are gone at once.
    assert_problem(app.get_as(&citizen, "/api/v1/admin/reports").await, 403, "forbidden").await;
    let ward_org = da_lat["organization_id"].as_str().unwrap();
    let me: Value = app.get_as(&ward_official, "/api/v1/me").await.json().await.unwrap();
    let removed = app
        .client
        .delete(app.url(&format!("/api/v1/admin/organizations/{ward_org}/members/{}", me["id"].as_str().unwrap())))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_problem(
        app.get_as(&ward_official, &format!("/api/v1/admin/reports/{}", id(&da_lat))).await,
        404,
        "report_not_found",
    )
    .await;
    assert!(ids(&app.get_as(&ward_official, "/api/v1/admin/reports").await.json::<Value>().await.unwrap()).is_empty());
    let action = app
        .post_json_as(
            &ward_official,
            &format!("/api/v1/admin/reports/{}/actions", id(&da_lat)),
            &json!({"action": "accept"}),
        )
        .await;
    assert_problem(action, 404, "report_not_found").await;
}

async fn an_official_created_for_a_commune_works_in_its_office(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.register_phone("0912345678").await["access_token"].as_str().unwrap().to_string();
    let report = file(&app, &citizen, DA_LAT, "Rác ở chợ Đà Lạt.").await;
    let (commune, office) = (report["unit_code"].as_str().unwrap(), report["organization_id"].as_str().unwrap());
    let create = |body: Value| {
        let request = app.client.post(app.url("/api/v1/admin/users")).bearer_auth(&admin).json(&body);
        async move { request.send().await.unwrap() }
    };
    let offices = |account: &Value| -> Vec<(String, String)> {
        account["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["kind"].as_str().unwrap().into(), o["unit_code"].as_str().unwrap_or_default().into()))
            .collect()
    };

    // Created with the commune's code, as a new administrator would: the first report shows up.
    let created = create(json!({"email": "phuong@lamdong.gov.vn", "full_name": "Cán bộ phường", "role": "official",
        "unit_code": commune}))
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["memberships"][0]["id"], office);
    let login: Value =
        app.login("phuong@lamdong.gov.vn", created["initial_password"].as_str().unwrap()).await.json().await.unwrap();
    let official = login["access_token"].as_str().unwrap();
    let inbox: Value = app.get_as(official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert_eq!(ids(&inbox), [report["id"].as_str().unwrap()]);

    // A commune without an office yet gets one; a province-level official only what is named.
    let elsewhere: Value = create(json!({"email": "xa@lamdong.gov.vn", "full_name": "Cán bộ xã", "role": "official",
        "unit_code": "22918"}))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(offices(&elsewhere), [("commune_office".to_string(), "22918".to_string())]);
    let ioc = app.create_ioc(&admin, "68").await;
    let at_the_ioc: Value = create(json!({"email": "ioc@lamdong.gov.vn", "full_name": "IOC", "role": "official",
        "unit_code": "68", "organization_id": ioc["id"]}))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(offices(&at_the_ioc), [("ioc".to_string(), String::new())]);
    let unplaced: Value = create(json!({"email": "so@lamdong.gov.vn", "full_name": "Sở", "role": "official",
        "unit_code": "68"}))
    .await
    .json()
    .await
    .unwrap();
    assert!(offices(&unplaced).is_empty());
    let problem = assert_problem(
        create(json!({"email": "x@lamdong.gov.vn", "full_name": "X", "role": "official", "unit_code": "68",
            "organization_id": "00000000-0000-0000-0000-000000000000"}))
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "organization_id");
    let problem = assert_problem(
        create(json!({"email": "y@lamdong.gov.vn", "full_name": "Y", "role": "volunteer", "unit_code": "22918",
            "organization_id": ioc["id"]}))
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "organization_id");
    assert_eq!(app.login("x@lamdong.gov.vn", "whatever-password").await.status(), 401, "nothing was created");

    // Moved to another commune: out of the old office, into the new one, with its inbox.
    let user_id = created["user"]["id"].as_str().unwrap();
    let moved = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{user_id}")))
        .bearer_auth(&admin)
        .json(&json!({"unit_code": "22918"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        (moved["unit_code"].as_str(), offices(&moved)),
        (Some("22918"), vec![("commune_office".to_string(), "22918".to_string())])
    );
    let inbox: Value = app.get_as(official, "/api/v1/admin/reports").await.json().await.unwrap();
    assert!(ids(&inbox).is_empty());
}
