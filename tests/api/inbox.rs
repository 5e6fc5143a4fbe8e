//! The officials' inbox: each official sees their organizations' reports and nothing else.

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, sign_up, Citizen, TestApp, BAO_LOC, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    officials_see_their_jurisdiction_and_nothing_else,
    an_official_created_for_a_commune_works_in_its_office,
);

async fn officials_see_their_jurisdiction_and_nothing_else(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app
        .register(sign_up(json!({"phone": "0912345678", "email": "binh@example.vn", "full_name": "Trần Thị Bình"})))
        .await;
    let waste = |place, description: &str| report_at(place, json!({"category": "waste", "description": description}));
    let da_lat = app.file_report(&citizen, &waste(DA_LAT, "Rác ở chợ Đà Lạt.")).await;
    let bao_loc = app.file_report(&citizen, &waste(BAO_LOC, "Rác ở Bảo Lộc.")).await;
    let sai_gon = app.file_report(&citizen, &waste(SAI_GON, "Rác ở Sài Gòn.")).await;

    let ward_official = app.official_of(&admin, &da_lat.organization_id, "phuong@lamdong.gov.vn", "vi").await;
    let city_official = app.official_of(&admin, &sai_gon.organization_id, "phuong@hcm.gov.vn", "vi").await;
    let ioc_official = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    let (da_lat, bao_loc, sai_gon) = (da_lat.id.as_str(), bao_loc.id.as_str(), sai_gon.id.as_str());

    let inbox = app.inbox(&ward_official.token, "").await;
    assert_eq!(inbox.ids(), [da_lat]);
    assert_eq!(inbox.counts["submitted"], 1);
    assert_eq!(app.inbox(&city_official.token, "").await.ids(), [sai_gon]);
    let inbox = app.inbox(&ioc_official.token, "").await;
    assert_eq!(inbox.ids(), [bao_loc, da_lat], "the IOC sees its whole province, not another one");

    // Another ward's report does not exist for this official.
    let one = |id: &str| format!("/api/v1/admin/reports/{id}");
    assert_problem(app.get_as(&ward_official.token, &one(sai_gon)).await, 404, "report_not_found").await;
    assert_problem(app.get_as(&ward_official.token, &one(bao_loc)).await, 404, "report_not_found").await;
    let own: Value = app.get_json_as(&ward_official.token, &one(da_lat)).await;
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
    let ioc = ioc_official.token.as_str();
    assert_eq!(app.inbox(ioc, "?q=bao%20loc").await.ids(), [bao_loc]);
    assert_eq!(app.inbox(ioc, "?assignee=none").await.items.len(), 2);
    assert!(app.inbox(ioc, "?assignee=me").await.items.is_empty());
    let resolved = app.inbox(ioc, "?status=resolved").await;
    assert!(resolved.items.is_empty());
    assert_eq!(resolved.counts["submitted"], 2, "counts ignore the status filter");
    assert!(app.inbox(ioc, "?overdue=true").await.items.is_empty());
    let page = app.inbox(ioc, "?limit=1").await;
    let next = app.inbox(ioc, &format!("?limit=1&cursor={}", page.next_cursor.as_deref().unwrap())).await;
    assert_eq!([page.ids(), next.ids()].concat(), [bao_loc, da_lat]);
    assert_problem(app.get_as(ioc, "/api/v1/admin/reports?status=lost").await, 422, "validation_failed").await;
    // `assignee` is `me`, `none` or an id, as the contract says: anything else is refused, not matched.
    assert!(app.inbox(ioc, &format!("?assignee={}", uuid::Uuid::now_v7())).await.items.is_empty());
    assert_problem(app.get_as(ioc, "/api/v1/admin/reports?assignee=someone").await, 422, "validation_failed").await;

    // Not an official: forbidden. Removed from the organization: the reports are gone at once.
    assert_problem(app.get_as(&citizen.token, "/api/v1/admin/reports").await, 403, "forbidden").await;
    let removed =
        app.client
            .delete(app.url(&format!(
                "/api/v1/admin/organizations/{}/members/{}",
                ward_official.organization, ward_official.id
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
    assert_eq!(removed.status(), 204);
    assert_problem(app.get_as(&ward_official.token, &one(da_lat)).await, 404, "report_not_found").await;
    assert!(app.inbox(&ward_official.token, "").await.items.is_empty());
    let action = app.act(&ward_official.token, da_lat, json!({"action": "accept"})).await;
    assert_problem(action, 404, "report_not_found").await;
}

async fn an_official_created_for_a_commune_works_in_its_office(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let (commune, office) = (report.unit_code.as_str(), report.organization_id.as_str());
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
    let login = app.login("phuong@lamdong.gov.vn", created["initial_password"].as_str().unwrap()).await;
    let official = login.json::<Citizen>().await.unwrap().token;
    assert_eq!(app.inbox(&official, "").await.ids(), [report.id.as_str()]);

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
        "unit_code": "68", "organization_id": ioc.id}))
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
            "organization_id": ioc.id}))
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
    assert!(app.inbox(&official, "").await.items.is_empty());
}
