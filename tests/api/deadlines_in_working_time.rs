//! Deadlines counted as Vietnamese offices count them, seen through the API at chosen dates: the app's
//! reports' clock starts at the moment a test names (`CDS_CLOCK_START`), and `TestApp::at` is another
//! instance on the same database later on.

use serde_json::json;

use crate::common::{assert_problem, report_at, Citizen, Official, Report, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(with [("CDS_CLOCK_START", "2027-02-05T10:00:00+07:00"), ("CDS_DEADLINE_CHECK_SECS", "0")] =>
    a_report_accepted_on_the_friday_before_tet_2027_is_due_after_tet,
);

on_both_databases!(with [("CDS_CLOCK_START", "2027-03-01T09:00:00+07:00"), ("CDS_DEADLINE_CHECK_SECS", "0")] =>
    a_question_stops_the_clock_and_the_answer_starts_it_again,
    an_extension_moves_the_deadline_once,
    a_one_star_rating_lands_in_the_iocs_review_queue,
    a_transfer_starts_the_new_offices_triage_in_its_own_hours,
    administrators_set_a_categorys_deadlines_for_a_province,
);

/// A waste report in a Đà Lạt ward (Lâm Đồng, 68), its ward's official and its reporter.
async fn filed(app: &TestApp) -> (String, Citizen, Report, Official) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let body = report_at(DA_LAT, json!({"category": "waste", "description": "Rác chưa được thu gom ba ngày."}));
    let report = app.file_report(&citizen, &body).await;
    let ward = app.official_of(&admin, &report.organization_id, "phuong@dalat.gov.vn", "vi").await;
    (admin, citizen, report, ward)
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn set_deadlines(app: &TestApp, admin: &str, category: &str, body: serde_json::Value) -> reqwest::Response {
    app.put_json_as(admin, &format!("/api/v1/admin/categories/{category}/deadlines"), &body).await
}

async fn a_report_accepted_on_the_friday_before_tet_2027_is_due_after_tet(app: TestApp) {
    // Tết 2027 is Saturday 6 February: off from Friday 5 (the last day of the lunar year) to Tuesday 9,
    // and Wednesday 10 and Thursday 11 make up for the Saturday and Sunday.
    let year = app.get_json("/api/v1/calendar/2027").await;
    let off: Vec<&str> = year["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["working"] == false && d["date"].as_str().unwrap().starts_with("2027-02"))
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(off, ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"]);

    let (admin, _, report, ward) = filed(&app).await;
    // Filed on a day off: triage's eight office hours start when the office reopens on Friday 12.
    let triage = report.deadline.as_ref().unwrap();
    assert_eq!((triage.step.as_str(), triage.counted_in.as_str()), ("accept", "working_hours"));
    assert_eq!(triage.due_at, at("2027-02-15T08:00:00+07:00"));
    assert_eq!(triage.minutes_left, 480);

    let three_days = json!({"province_code": "68", "accept_working_hours": 8, "resolve_working_days": 3,
        "max_resolve_working_days": 10, "urgent_hours": 24});
    assert_eq!(set_deadlines(&app, &admin, "waste", three_days).await.status(), 200);
    let accepted = app.acted(&ward, &report.id, json!({"action": "accept"})).await;
    // The day of acceptance is not counted, nor are the days of Tết: Friday 12, Monday 15, Tuesday 16.
    let deadline = accepted.deadline.unwrap();
    assert_eq!((deadline.step.as_str(), deadline.counted_in.as_str()), ("resolve", "working_days"));
    assert_eq!(deadline.due_at, at("2027-02-17T00:00:00+07:00"));
    assert_eq!(deadline.due_local, "2027-02-17T00:00:00+07:00");
    assert_eq!(accepted.due_at, Some(deadline.due_at));
    assert_eq!(deadline.minutes_left, 3 * 450, "three working days of office hours left");
    assert!(!deadline.overdue);

    // On the Monday of Tết it is not overdue.
    let monday_of_tet = app.at("2027-02-08T10:00:00+07:00").await;
    assert!(monday_of_tet.inbox(&ward.token, "?overdue=true").await.items.is_empty());
    let seen: Report = monday_of_tet.get_json_as(&ward.token, &format!("/api/v1/admin/reports/{}", report.id)).await;
    assert!(!seen.deadline.unwrap().overdue);
    assert_eq!(monday_of_tet.run_deadlines_at(at("2027-02-08T10:00:00+07:00")).await.escalated, 0);
    // On the Wednesday after, it is.
    let wednesday = app.at("2027-02-17T08:00:00+07:00").await;
    assert_eq!(wednesday.inbox(&ward.token, "?overdue=true").await.ids(), [report.id.as_str()]);
}

async fn a_question_stops_the_clock_and_the_answer_starts_it_again(app: TestApp) {
    let (_, citizen, report, ward) = filed(&app).await;
    // Accepted on Monday 1 March: three working days, due at the end of Thursday 4.
    let accepted = app.acted(&ward, &report.id, json!({"action": "accept"})).await;
    assert_eq!(accepted.due_at, Some(at("2027-03-05T00:00:00+07:00")));
    let question = json!({"action": "ask", "note": "Xin cho biết số nhà gần nhất?"});
    let asked = app.acted(&ward, &report.id, question).await;
    assert_eq!(asked.status, "waiting_for_citizen");
    let waiting = asked.deadline.unwrap();
    assert_eq!(waiting.step, "answer", "the reporter has ten working days to answer");
    assert_eq!(waiting.due_at, at("2027-03-16T00:00:00+07:00"));
    let path = format!("/api/v1/reports/{}", report.id);
    let theirs: Report = app.get_json_as(&citizen.token, &path).await;
    let last = theirs.timeline.last().unwrap();
    assert_eq!((last.kind.as_str(), last.note.as_deref()), ("question", Some("Xin cho biết số nhà gần nhất?")));
    let public = app.get_json(&path).await;
    assert!(!public["timeline"].to_string().contains("số nhà"), "the question is for the reporter: {public}");

    // A week later the old deadline has passed, but the clock is stopped: not overdue, no escalation.
    let monday = app.at("2027-03-08T09:00:00+07:00").await;
    assert!(monday.inbox(&ward.token, "?overdue=true").await.items.is_empty());
    assert_eq!(monday.run_deadlines_at(at("2027-03-08T09:00:00+07:00")).await.escalated, 0);
    let answer_path = format!("/api/v1/reports/{}/answer", report.id);
    assert_problem(
        monday.post_json_as(&citizen.token, &answer_path, &json!({"note": "  "})).await,
        422,
        "validation_failed",
    )
    .await;
    let stranger = monday.citizen("0987654321").await;
    let answer = json!({"note": "Trước số nhà 14 Phan Đình Phùng."});
    assert_problem(monday.post_json_as(&stranger.token, &answer_path, &answer).await, 404, "report_not_found").await;
    let answered = monday.post_json_as(&citizen.token, &answer_path, &answer).await;
    assert_eq!(answered.status(), 200);
    let answered: Report = answered.json().await.unwrap();
    assert_eq!(answered.status, "in_progress");
    // Five working days passed while it waited (Tuesday 2 to Monday 8): due at the end of Thursday 11.
    let deadline = answered.deadline.unwrap();
    assert_eq!((deadline.step.as_str(), deadline.due_at), ("resolve", at("2027-03-12T00:00:00+07:00")));
    assert_eq!(answered.timeline.last().unwrap().kind, "answered");
    assert_problem(monday.post_json_as(&citizen.token, &answer_path, &answer).await, 409, "invalid_transition").await;
    assert!(monday.notifications(&ward.token, "").await.kinds().contains(&"answered"), "the office is told");
}

async fn an_extension_moves_the_deadline_once(app: TestApp) {
    let (admin, _, report, ward) = filed(&app).await;
    app.acted(&ward, &report.id, json!({"action": "accept"})).await;
    let extend =
        |date: &str| json!({"action": "extend", "due_date": date, "note": "Cần phối hợp với công ty môi trường."});
    // Waste: three working days (due Thursday 4 March), ten at most (to the end of Monday 15).
    for (body, field) in [
        (extend("2027-03-16"), "due_date"),
        (extend("2027-03-04"), "due_date"),
        (extend("15/03/2027"), "due_date"),
        (json!({"action": "extend", "due_date": "2027-03-10"}), "note"),
        (json!({"action": "extend", "note": "Cần thêm thời gian."}), "due_date"),
    ] {
        let problem =
            assert_problem(app.act(&ward.token, &report.id, body.clone()).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    let other_ward = app.official_of(&admin, &app.create_ioc(&admin, "79").await.id, "ioc@hcm.gov.vn", "vi").await;
    assert_problem(app.act(&other_ward.token, &report.id, extend("2027-03-10")).await, 404, "report_not_found").await;

    // Saturday 13 is a day off: the deadline moves to the end of Monday 15.
    let extended = app.acted(&ward, &report.id, extend("2027-03-13")).await;
    let deadline = extended.deadline.unwrap();
    assert_eq!(deadline.due_at, at("2027-03-16T00:00:00+07:00"));
    assert!(deadline.extended);
    let public = app.get_json(&format!("/api/v1/reports/{}", report.id)).await;
    let told = public["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "extended").unwrap().clone();
    assert_eq!(told["note"], "2027-03-15: Cần phối hợp với công ty môi trường.", "on the public timeline");
    assert_problem(app.act(&ward.token, &report.id, extend("2027-03-12")).await, 409, "already_extended").await;
}

async fn a_one_star_rating_lands_in_the_iocs_review_queue(app: TestApp) {
    let (admin, citizen, report, ward) = filed(&app).await;
    let ioc = app.ioc_official(&admin, "68", "ioc@lamdong.gov.vn").await;
    for action in [json!({"action": "accept"}), json!({"action": "resolve", "note": "Đã thu gom."})] {
        app.acted(&ward, &report.id, action).await;
    }
    let rate = format!("/api/v1/reports/{}/rating", report.id);
    let rated = app.post_json_as(&citizen.token, &rate, &json!({"score": 1, "comment": "Rác vẫn còn."})).await;
    assert_eq!(rated.status(), 200);
    let rated: Report = rated.json().await.unwrap();
    assert_eq!((rated.status.as_str(), rated.resolved_on_time), ("closed", Some(true)));
    assert!(rated.review_requested_at.is_some());

    assert_eq!(app.inbox(&ioc.token, "?review=pending").await.ids(), [report.id.as_str()]);
    let told = app.notifications(&ioc.token, "").await;
    let review = told.items.iter().find(|n| n.kind == "review_requested").expect("the IOC is told");
    assert!(review.link.as_deref().unwrap().ends_with(&format!("/admin/reports/{}", report.id)), "{review:?}");
    let mails = app.outbox().await;
    assert!(mails.iter().any(|m| m.recipient == "ioc@lamdong.gov.vn" && m.body.contains("1/5")), "{mails:?}");
    assert_problem(app.get_as(&ioc.token, "/api/v1/admin/reports?review=all").await, 422, "validation_failed").await;

    // Only the IOC reviews; the ward may not close its own review.
    let close = json!({"action": "review_close", "note": "Đã xác minh."});
    assert_problem(app.act(&ward.token, &report.id, close).await, 403, "forbidden").await;
    let reopen = json!({"action": "review_reopen", "note": "Người dân báo rác vẫn còn; đề nghị xử lý lại."});
    let reopened = app.acted(&ioc, &report.id, reopen).await;
    assert_eq!(reopened.status, "in_progress");
    assert_eq!(reopened.deadline.map(|d| d.step), Some("resolve".to_string()));
    assert!(reopened.review_requested_at.is_none());
    assert!(app.inbox(&ioc.token, "?review=pending").await.items.is_empty());
    let close = json!({"action": "review_close", "note": "Đã xác minh."});
    assert_problem(app.act(&ioc.token, &report.id, close).await, 409, "invalid_transition").await;

    // Handled again and rated well: the queue stays empty. A closed review cannot be closed twice.
    app.acted(&ward, &report.id, json!({"action": "resolve", "note": "Đã thu gom lại."})).await;
    let rated = app.post_json_as(&citizen.token, &rate, &json!({"score": 4})).await;
    assert_eq!(rated.status(), 200);
    assert!(app.inbox(&ioc.token, "?review=pending").await.items.is_empty());
    let close = json!({"action": "review_close", "note": "Đã xác minh."});
    assert_problem(app.act(&ioc.token, &report.id, close).await, 409, "no_review_pending").await;
    let public = app.get_json(&format!("/api/v1/reports/{}", report.id)).await;
    let kinds: Vec<&str> = public["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"review_requested"), "the queue is internal: {kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "reopened").count(), 1, "{kinds:?}");
}

async fn a_transfer_starts_the_new_offices_triage_in_its_own_hours(app: TestApp) {
    let (admin, _, report, ward) = filed(&app).await;
    let body = json!({"kind": "department", "name": "Sở Nông nghiệp và Môi trường", "province_code": "68"});
    let department: serde_json::Value =
        app.post_json_as(&admin, "/api/v1/admin/organizations", &body).await.json().await.unwrap();
    let id = department["id"].as_str().unwrap();
    let hours_path = format!("/api/v1/admin/organizations/{id}/office-hours");
    for bad in ["13:00-17:00,08:00-12:00", "8h-17h", ""] {
        let refused = app.put_json_as(&admin, &hours_path, &json!({"office_hours": bad})).await;
        assert_problem(refused, 422, "validation_failed").await;
    }
    assert_problem(
        app.put_json_as(&ward.token, &hours_path, &json!({"office_hours": "13:00-17:00"})).await,
        403,
        "forbidden",
    )
    .await;
    let set = app.put_json_as(&admin, &hours_path, &json!({"office_hours": "13:00-17:00"})).await;
    assert_eq!(set.status(), 200);
    assert_eq!(set.json::<serde_json::Value>().await.unwrap()["office_hours"], "13:00-17:00");

    app.acted(&ward, &report.id, json!({"action": "accept"})).await;
    let moved = app
        .acted(&ward, &report.id, json!({"action": "transfer", "organization_id": id, "note": "Thuộc thẩm quyền Sở."}))
        .await;
    // Transferred on Monday 09:00 to an office open 13:00–17:00: four hours on Monday, four on Tuesday.
    let triage = moved.deadline.unwrap();
    assert_eq!((triage.step.as_str(), triage.due_at), ("accept", at("2027-03-02T17:00:00+07:00")));
}

async fn administrators_set_a_categorys_deadlines_for_a_province(app: TestApp) {
    let (admin, citizen, _, ward) = filed(&app).await;
    let rules = json!({"accept_working_hours": 4, "resolve_working_days": 5, "max_resolve_working_days": 7, "urgent_hours": 12});
    assert_problem(set_deadlines(&app, &ward.token, "waste", rules.clone()).await, 403, "forbidden").await;
    assert_problem(set_deadlines(&app, &citizen.token, "waste", rules.clone()).await, 403, "forbidden").await;
    assert_problem(set_deadlines(&app, &admin, "no_such", rules.clone()).await, 404, "category_not_found").await;
    let mut too_short = rules.clone();
    too_short["max_resolve_working_days"] = json!(4);
    let problem = assert_problem(set_deadlines(&app, &admin, "waste", too_short).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "max_resolve_working_days");
    let mut elsewhere = rules.clone();
    elsewhere["province_code"] = json!("99");
    assert_problem(set_deadlines(&app, &admin, "waste", elsewhere).await, 422, "validation_failed").await;

    let mut for_lam_dong = rules.clone();
    for_lam_dong["province_code"] = json!("68");
    let set = set_deadlines(&app, &admin, "waste", for_lam_dong).await;
    assert_eq!(set.status(), 200);
    let set: serde_json::Value = set.json().await.unwrap();
    assert_eq!(set["resolve_working_days"], 5);
    // The category's own stay for the other provinces.
    let categories = app.get_json("/api/v1/categories").await;
    let waste = categories["items"].as_array().unwrap().iter().find(|c| c["code"] == "waste").unwrap().clone();
    assert_eq!(waste["deadlines"]["resolve_working_days"], 3);
    // A new report of Lâm Đồng is triaged in four office hours: from Monday 09:00 (and the seconds this
    // test took) to 15:00, lunch left out.
    let body = report_at(DA_LAT, json!({"category": "waste", "description": "Rác tràn ra đường."}));
    let report = app.file_report(&citizen, &body).await;
    let late = report.deadline.unwrap().due_at - at("2027-03-01T15:00:00+07:00");
    assert!(late >= chrono::Duration::zero() && late < chrono::Duration::minutes(2), "{late}");
}
