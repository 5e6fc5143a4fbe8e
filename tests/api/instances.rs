//! Several instances of the server on one database, as a province runs them behind a balancer: they
//! share one rate limit, escalate an overdue report once, send each mail once, and file by the reference
//! data another instance has just changed.

use chrono::Duration;
use serde_json::json;

use crate::common::{assert_problem, report_at, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(with [("CDS_AUTH_RATE_LIMIT", "3")] => two_instances_share_one_limit_one_escalation_one_mail);
on_both_databases!(a_routing_rule_set_on_one_instance_routes_the_next_report_on_the_other);

async fn two_instances_share_one_limit_one_escalation_one_mail(a: TestApp) {
    let b = a.another_instance(&[("CDS_AUTH_RATE_LIMIT", "3")]).await;

    // One limit: a login name's three tries a minute, whichever instance each reaches.
    for instance in [&a, &b, &a] {
        assert_eq!(instance.login("0987654321", "a wrong password").await.status(), 401);
    }
    assert_problem(b.login("0987654321", "a wrong password").await, 429, "rate_limited").await;
    assert_problem(a.login("0987654321", "a wrong password").await, 429, "rate_limited").await;

    // One mail: both instances' outbox workers read the one outbox; the verification goes out once.
    b.citizen_by_email("binh@example.vn", "vi").await;
    let verification = a.mail.next_mail().await;
    assert_eq!(verification.to, "binh@example.vn");
    let forgot = a.post_json("/api/v1/auth/password/forgot", &json!({"login": "binh@example.vn"})).await;
    assert_eq!(forgot.status(), 202);
    let reset = a.mail.next_mail().await;
    assert_ne!(reset.token(), verification.token(), "the next mail is the reset, not the verification again");
    assert!(a.mail.is_empty().await);

    // One escalation: both instances' deadline workers find the overdue report; one escalates it.
    let admin = a.admin_token().await;
    let citizen = a.citizen("0912345678").await;
    let report = a.file_report(&citizen, &report_at(DA_LAT, json!({"category": "waste"}))).await;
    let ward = b.official_of(&admin, &report.organization_id, "phuong@dalat.gov.vn", "vi").await;
    let report = b.acted(&ward, &report.id, json!({"action": "accept"})).await;
    let overdue = report.due_at.unwrap() + Duration::minutes(1);
    let (first, second) = tokio::join!(a.run_deadlines_at(overdue), b.run_deadlines_at(overdue));
    assert_eq!(first.escalated + second.escalated, 1);
    let seen: serde_json::Value = a.get_json_as(&ward.token, &format!("/api/v1/admin/reports/{}", report.id)).await;
    let escalations = seen["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").count();
    assert_eq!(escalations, 1);
}

async fn a_routing_rule_set_on_one_instance_routes_the_next_report_on_the_other(a: TestApp) {
    let b = a.another_instance(&[]).await;
    let admin = a.admin_token().await;
    let citizen = a.citizen("0912345678").await;
    let water = || report_at(DA_LAT, json!({"category": "water_supply"}));
    // Filing reads the reference data from memory: instance a now holds a copy without a department.
    let first = a.file_report(&citizen, &water()).await;
    assert!(first.timeline[0].note.as_deref().unwrap().contains("has no department"));

    let department = b.water_department(&admin).await;

    // The very next filing on instance a goes by b's rule: no wait for a's copy to expire.
    let second = a.file_report(&citizen, &water()).await;
    assert_eq!(department["id"], second.organization_id);
}
