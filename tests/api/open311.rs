//! Open311 GeoReport v2, as an unmodified client written against another server sees it: every
//! operation in JSON (checked against the community's JSON Schemas in tests/open311-schema/) and in XML
//! (parsed, with the specification's element names and nesting), and the specification's errors.

use serde_json::{json, Value};

use crate::common::{report_at, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    discovery_and_services_speak_json_and_xml,
    service_definitions_ask_the_urgency_where_the_category_allows_it,
    errors_have_the_specifications_shape,
    requests_are_the_public_reports_as_the_public_sees_them,
    a_request_filed_through_open311_reaches_the_communes_inbox,
    filing_errors_have_the_specifications_shape,
);
on_both_databases!(with [("CDS_OPEN311_JURISDICTION_ID", "lamdong.gov.vn")] => a_configured_jurisdiction_id_is_accepted);

/// The schema in `file`, with the other files it refers to (`"$ref": "service.json"`) put in place.
fn schema(file: &str) -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311-schema");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    fn inline(value: &mut Value, dir: &std::path::Path) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref").cloned() {
                    let mut referred: Value =
                        serde_json::from_str(&std::fs::read_to_string(dir.join(&target)).unwrap()).unwrap();
                    inline(&mut referred, dir);
                    *value = referred;
                    return;
                }
                map.values_mut().for_each(|v| inline(v, dir));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| inline(v, dir)),
            _ => {}
        }
    }
    inline(&mut schema, &dir);
    schema
}

fn assert_valid(file: &str, document: &Value) {
    let validator = jsonschema::validator_for(&schema(file)).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "{document} does not conform to {file}: {errors:?}");
}

async fn xml_of(response: reqwest::Response) -> String {
    assert_eq!(response.headers()["content-type"], "text/xml; charset=utf-8");
    let text = response.text().await.unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{text}");
    text
}

/// The text of `path` (element names from the root's children down) in `node`.
fn text_at<'a>(node: roxmltree::Node<'a, 'a>, path: &[&str]) -> Option<&'a str> {
    let mut node = node;
    for name in path {
        node = node.children().find(|c| c.has_tag_name(*name))?;
    }
    Some(node.text().unwrap_or(""))
}

async fn discovery_and_services_speak_json_and_xml(app: TestApp) {
    let discovery = app.get_json("/open311/v2/discovery.json").await;
    assert_eq!(discovery["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(discovery["endpoints"][0]["url"], "http://congdanso.test/open311/v2");
    assert_eq!(discovery["endpoints"][0]["formats"], json!(["text/xml", "application/json"]));
    assert!(discovery["key_service"].as_str().unwrap().contains("/api/v1/admin/api-keys"));
    let text = xml_of(app.get("/open311/v2/discovery.xml").await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("discovery"));
    let endpoint = doc.descendants().find(|n| n.has_tag_name("endpoint")).unwrap();
    assert_eq!(endpoint.parent().unwrap().tag_name().name(), "endpoints");
    assert_eq!(text_at(endpoint, &["url"]), Some("http://congdanso.test/open311/v2"));
    let formats: Vec<&str> =
        endpoint.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
    assert_eq!(formats, ["text/xml", "application/json"]);

    let services = app.get_json("/open311/v2/services.json").await;
    assert_valid("services.json", &services);
    let validator = jsonschema::validator_for(&schema("services.json")).unwrap();
    assert!(!validator
        .is_valid(&json!([{"service_code": "waste", "service_name": "x", "metadata": "no", "type": "realtime"}])));
    let categories = app.get_json("/api/v1/categories").await;
    let codes = |items: &Value, key: &str| -> Vec<String> {
        items.as_array().unwrap().iter().map(|i| i[key].as_str().unwrap().to_string()).collect()
    };
    let listed = categories.get("items").unwrap_or(&categories);
    assert_eq!(codes(&services, "service_code"), codes(listed, "code"), "one service per active category, in order");
    let waste = services.as_array().unwrap().iter().find(|s| s["service_code"] == "waste").unwrap();
    assert_eq!(
        waste,
        &json!({"service_code": "waste", "service_name": "Rác thải, vệ sinh môi trường", "description": "Waste and sanitation",
            "metadata": false, "type": "realtime", "keywords": "waste, sanitation", "group": "Cấp xã"})
    );
    let flooding = services.as_array().unwrap().iter().find(|s| s["service_code"] == "drainage_flooding").unwrap();
    assert_eq!(flooding["metadata"], true, "urgent flooding reports are allowed: the definition asks");

    let text = xml_of(app.get("/open311/v2/services.xml").await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("services"));
    let services_xml: Vec<_> = doc.root_element().children().filter(|n| n.is_element()).collect();
    assert_eq!(services_xml.len(), services.as_array().unwrap().len());
    assert!(services_xml.iter().all(|s| s.has_tag_name("service")));
    let waste_xml = services_xml.iter().find(|s| text_at(**s, &["service_code"]) == Some("waste")).unwrap();
    for (name, value) in [
        ("service_name", "Rác thải, vệ sinh môi trường"),
        ("metadata", "false"),
        ("type", "realtime"),
        ("group", "Cấp xã"),
    ] {
        assert_eq!(text_at(*waste_xml, &[name]), Some(value), "{name}");
    }
    // An empty jurisdiction_id is absent, as many clients send it; a province served is this deployment.
    for query in ["?jurisdiction_id=", "?jurisdiction_id=68"] {
        let same = app.get_json(&format!("/open311/v2/services.json{query}")).await;
        assert_eq!(same, services, "{query}");
    }
}

async fn service_definitions_ask_the_urgency_where_the_category_allows_it(app: TestApp) {
    let flooding = app.get_json("/open311/v2/services/drainage_flooding.json").await;
    assert_valid("service-definition.json", &flooding);
    assert_eq!(flooding["service_code"], "drainage_flooding");
    let urgent = &flooding["attributes"][0];
    assert_eq!(
        (urgent["code"].as_str(), urgent["datatype"].as_str(), urgent["required"].as_bool()),
        (Some("urgent"), Some("singlevaluelist"), Some(false))
    );
    let keys: Vec<&str> = urgent["values"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["false", "true"]);
    let waste = app.get_json("/open311/v2/services/waste.json").await;
    assert_valid("service-definition.json", &waste);
    assert_eq!(waste["attributes"], json!([]));

    let text = xml_of(app.get("/open311/v2/services/drainage_flooding.xml").await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name("service_definition"));
    assert_eq!(text_at(root, &["service_code"]), Some("drainage_flooding"));
    let attribute = root.descendants().find(|n| n.has_tag_name("attribute")).unwrap();
    assert_eq!(attribute.parent().unwrap().tag_name().name(), "attributes");
    for (name, value) in [
        ("variable", "true"),
        ("code", "urgent"),
        ("datatype", "singlevaluelist"),
        ("required", "false"),
        ("order", "1"),
    ] {
        assert_eq!(text_at(attribute, &[name]), Some(value), "{name}");
    }
    let values: Vec<&str> =
        attribute.descendants().filter(|n| n.has_tag_name("key")).filter_map(|n| n.text()).collect();
    assert_eq!(values, ["false", "true"]);
    assert_eq!(
        attribute.descendants().find(|n| n.has_tag_name("value")).unwrap().parent().unwrap().tag_name().name(),
        "values"
    );
}

async fn errors_have_the_specifications_shape(app: TestApp) {
    for (path, description) in [
        ("/open311/v2/services/potholes.json", "service_code not found: potholes"),
        ("/open311/v2/services.json?jurisdiction_id=99", "jurisdiction_id not found: 99"),
        ("/open311/v2/services.json?jurisdiction_id=hanoi.gov.vn", "jurisdiction_id not found: hanoi.gov.vn"),
        ("/open311/v2/services.yaml", "no format \"yaml\": use .json or .xml"),
        ("/open311/v2/tickets.json", "no such operation"),
        (
            "/open311/v2/requests/0193a1b2-0000-7000-8000-000000000000.json",
            "service_request_id not found: 0193a1b2-0000-7000-8000-000000000000",
        ),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let errors: Value = response.json().await.unwrap();
        assert_eq!(errors, json!([{"code": 404, "description": description}]), "{path}");
    }
    let text = xml_of(app.get("/open311/v2/services/potholes.xml").await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("errors"));
    let error = doc.root_element().first_element_child().unwrap();
    assert!(error.has_tag_name("error"));
    assert_eq!(
        (text_at(error, &["code"]), text_at(error, &["description"])),
        (Some("404"), Some("service_code not found: potholes"))
    );
    let unknown = app.get("/open311/v2/requests/nope.xml").await;
    assert_eq!(unknown.status(), 404);
    assert!(xml_of(unknown).await.ends_with(
        "<errors><error><code>404</code><description>service_request_id not found: nope</description></error></errors>"
    ));
}

async fn a_configured_jurisdiction_id_is_accepted(app: TestApp) {
    let services = app.get("/open311/v2/services.xml?jurisdiction_id=lamdong.gov.vn").await;
    assert_eq!(services.status(), 200);
    let other = app.get("/open311/v2/services.xml?jurisdiction_id=hanoi.gov.vn").await;
    assert_eq!(other.status(), 404);
    let text = xml_of(other).await;
    assert!(text.ends_with("<errors><error><code>404</code><description>jurisdiction_id not found: hanoi.gov.vn</description></error></errors>"), "{text}");
}

async fn requests_are_the_public_reports_as_the_public_sees_them(app: TestApp) {
    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let flooding = app.file_report(&citizen, &report_at(DA_LAT, json!({"is_anonymous": true}))).await;
    let private = app.file_report(&citizen, &report_at(DA_LAT, json!({"is_public": false}))).await;
    let waste = app.file_report(&citizen, &report_at(DA_LAT, json!({"category": "waste"}))).await;
    let ward = app.official_of(&admin, &flooding.organization_id, "phuong@dalat.gov.vn", "vi").await;
    app.acted(&ward, &flooding.id, json!({"action": "accept"})).await;
    app.acted(&ward, &flooding.id, json!({"action": "comment", "note": "Đã cử người kiểm tra.", "public": true})).await;
    app.acted(&ward, &flooding.id, json!({"action": "comment", "note": "Ghi chú nội bộ."})).await;

    let all = app.get_json("/open311/v2/requests.json").await;
    assert_valid("requests.json", &all);
    let ids: Vec<&str> = all.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [waste.id.as_str(), flooding.id.as_str()], "public ones, newest first; not {}", private.id);
    let first = &all[1];
    assert_eq!((first["status"].as_str(), first["detailed_status"].as_str()), (Some("open"), Some("accepted")));
    assert_eq!(first["status_notes"], "Đã cử người kiểm tra.");
    assert_eq!(
        (first["service_code"].as_str(), first["service_name"].as_str()),
        (Some("drainage_flooding"), Some("Thoát nước, ngập úng"))
    );
    assert!(first["agency_responsible"].as_str().unwrap().contains("Phường"), "{first}");
    assert_eq!((first["lat"].as_f64(), first["long"].as_f64()), (Some(DA_LAT.0), Some(DA_LAT.1)));
    assert_eq!(first["address"], "Hẻm 12");
    assert!(first["expected_datetime"].is_string());
    let text = all.to_string();
    assert!(!text.contains("0912345678") && !text.contains(&citizen.id), "nothing of who filed them: {text}");
    assert!(!text.contains("Ghi chú nội bộ"), "no internal note: {text}");

    // One by id: an array of one, in both formats; a private report is not found.
    let one = app.get_json(&format!("/open311/v2/requests/{}.json", flooding.id)).await;
    assert_valid("requests.json", &one);
    assert_eq!(one, json!([first]));
    let text = xml_of(app.get(&format!("/open311/v2/requests/{}.xml", flooding.id)).await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("service_requests"));
    let request = doc.root_element().first_element_child().unwrap();
    assert!(request.has_tag_name("request"));
    for (name, value) in [
        ("service_request_id", flooding.id.as_str()),
        ("status", "open"),
        ("service_code", "drainage_flooding"),
        ("long", "108.443"),
    ] {
        assert_eq!(text_at(request, &[name]), Some(value), "{name}");
    }
    let hidden = app.get(&format!("/open311/v2/requests/{}.json", private.id)).await;
    assert_eq!(hidden.status(), 404);
    let errors: Value = hidden.json().await.unwrap();
    assert_eq!(errors[0]["code"], 404);

    // Its status change shows: resolved is `closed`, with the resolution's note.
    app.acted(&ward, &flooding.id, json!({"action": "resolve", "note": "Đã nạo vét cống."})).await;
    let resolved = app.get_json(&format!("/open311/v2/requests/{}.json", flooding.id)).await;
    assert_eq!(
        (resolved[0]["status"].as_str(), resolved[0]["detailed_status"].as_str()),
        (Some("closed"), Some("resolved"))
    );
    assert_eq!(resolved[0]["status_notes"], "Đã nạo vét cống.");

    // Searches: by service, status, ids (which override the rest) and dates.
    let count = |v: &Value| v.as_array().unwrap().len();
    assert_eq!(count(&app.get_json("/open311/v2/requests.json?service_code=waste").await), 1);
    assert_eq!(count(&app.get_json("/open311/v2/requests.json?status=closed").await), 1);
    assert_eq!(count(&app.get_json("/open311/v2/requests.json?status=open,closed&service_code=").await), 2);
    let by_ids = format!("/open311/v2/requests.json?service_request_id={},{}&service_code=roads", waste.id, private.id);
    assert_eq!(count(&app.get_json(&by_ids).await), 1, "ids override the service code; the private one stays hidden");
    assert_eq!(
        count(
            &app.get_json("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00Z")
                .await
        ),
        0
    );
    for (query, description) in [
        ("start_date=yesterday", "start_date is not a W3C datetime (e.g. 2026-03-02T08:00:00+07:00): yesterday"),
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            "start_date and end_date must be in order and at most 90 days apart",
        ),
        ("status=pending", "status is open or closed, not pending"),
    ] {
        let response = app.get(&format!("/open311/v2/requests.json?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!([{"code": 400, "description": description}]),
            "{query}"
        );
    }
    let bad = app.get("/open311/v2/requests.xml?start_date=yesterday").await;
    assert_eq!(bad.status(), 400);
    assert!(xml_of(bad).await.contains("<errors><error><code>400</code>"));
}

/// A key for `provinces` (at most `per_minute` requests a minute), as an administrator makes it.
async fn api_key(app: &TestApp, admin: &str, provinces: &[&str], per_minute: i32) -> (String, String) {
    let body = json!({"name": "Bản đồ phản ánh ĐH Đà Lạt", "contact": "lab@dlu.edu.vn", "provinces": provinces,
        "rate_limit_per_minute": per_minute});
    let created: Value = app.post_json_as(admin, "/api/v1/admin/api-keys", &body).await.json().await.unwrap();
    (created["key"].as_str().unwrap().to_string(), created["api_key"]["id"].as_str().unwrap().to_string())
}

/// Posts `fields` as the specification says: an application/x-www-form-urlencoded form.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    post_form_keyed(app, path, fields, None).await
}

async fn post_form_keyed(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    idempotency_key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap());
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

fn flooding_form<'a>(key: &'a str, lat: &'a str, long: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", "drainage_flooding"),
        ("lat", lat),
        ("long", long),
        ("description", "Cống trước chợ bị tắc, nước ngập nửa mét."),
    ]
}

async fn a_request_filed_through_open311_reaches_the_communes_inbox(app: TestApp) {
    let admin = app.admin_token().await;
    let (key, _) = api_key(&app, &admin, &["68"], 60).await;
    let (lat, long) = (DA_LAT.0.to_string(), DA_LAT.1.to_string());
    let mut form = flooding_form(&key, &lat, &long);
    form.extend([
        ("attribute[urgent]", "true"),
        ("address_string", "Chợ Đà Lạt"),
        ("email", "lan@example.org"),
        ("phone", ""),
        ("first_name", "Lan"),
        ("last_name", "Nguyễn"),
        ("device_id", "android-7f3a"),
        ("account_id", "dlu-42"),
        ("media_url", "https://maps.dlu.edu.vn/photos/42.jpg"),
        ("jurisdiction_id", ""),
    ]);
    let response = post_form(&app, "/open311/v2/requests.json", &form).await;
    assert_eq!(response.status(), 200);
    let filed: Value = response.json().await.unwrap();
    let id = filed[0]["service_request_id"].as_str().unwrap().to_string();
    assert_eq!(filed, json!([{"service_request_id": id, "service_notice": null, "account_id": null}]));

    // A normal report: routed to the commune's office, in its official's inbox, urgent, with the contact
    // the application gave (the person has no account here).
    let public = app.get_json(&format!("/api/v1/reports/{id}")).await;
    assert_eq!((public["status"].as_str(), public["urgent"].as_bool()), (Some("submitted"), Some(true)));
    assert_eq!(public["reporter"]["display_name"], "Bản đồ phản ánh ĐH Đà Lạt", "the application, not the person");
    let ward = app.official_of(&admin, public["organization_id"].as_str().unwrap(), "phuong@dalat.gov.vn", "vi").await;
    assert_eq!(app.inbox(&ward.token, "").await.ids(), [id.as_str()]);
    let seen: Value = app.get_json_as(&ward.token, &format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(
        seen["reporter_contact"],
        json!({"full_name": "Lan Nguyễn", "phone": null, "email": "lan@example.org", "application": "Bản đồ phản ánh ĐH Đà Lạt"})
    );

    // Its status, as Open311 shows it, follows the office's work.
    let request = app.get_json(&format!("/open311/v2/requests/{id}.json")).await;
    assert_valid("requests.json", &request);
    assert_eq!(
        (request[0]["status"].as_str(), request[0]["detailed_status"].as_str()),
        (Some("open"), Some("submitted"))
    );
    assert_eq!(request[0]["media_url"], "https://maps.dlu.edu.vn/photos/42.jpg");
    assert_eq!(request[0]["address"], "Chợ Đà Lạt");
    app.acted(&ward, &id, json!({"action": "accept"})).await;
    app.acted(&ward, &id, json!({"action": "resolve", "note": "Đã thông cống."})).await;
    let text = xml_of(app.get(&format!("/open311/v2/requests/{id}.xml")).await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    let request = doc.root_element().first_element_child().unwrap();
    assert_eq!(text_at(request, &["status"]), Some("closed"));
    assert_eq!(text_at(request, &["status_notes"]), Some("Đã thông cống."));

    // The token of a request is its id (filing is immediate).
    let token = app.get_json(&format!("/open311/v2/tokens/{id}.json")).await;
    assert_eq!(token, json!([{"service_request_id": id, "token": id}]));
    let text = xml_of(app.get(&format!("/open311/v2/tokens/{id}.xml")).await).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("service_requests"));
    assert_eq!(text_at(doc.root_element().first_element_child().unwrap(), &["token"]), Some(id.as_str()));
    let unknown = app.get("/open311/v2/tokens/nope.json").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap(), json!([{"code": 404, "description": "token not found: nope"}]));

    // In XML, with the key in the query string, for a person whose phone is a citizen's account: filed
    // under that account, which then sees it as its own.
    let citizen = app.citizen("0912345678").await;
    let mut form = flooding_form("", &lat, &long);
    form.retain(|(name, _)| *name != "api_key");
    form.push(("phone", "0912 345 678"));
    let path = format!("/open311/v2/requests.xml?api_key={key}");
    let response = post_form(&app, &path, &form).await;
    assert_eq!(response.status(), 200);
    let text = xml_of(response).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.root_element().has_tag_name("service_requests"));
    let filed = doc.root_element().first_element_child().unwrap();
    assert!(filed.has_tag_name("request"));
    assert_eq!(text_at(filed, &["account_id"]), Some(citizen.id.as_str()));
    assert_eq!(text_at(filed, &["service_notice"]), Some(""));
    let second = text_at(filed, &["service_request_id"]).unwrap().to_string();
    let mine: Value = app.get_json_as(&citizen.token, "/api/v1/me/reports").await;
    assert_eq!(mine["items"][0]["id"], second.as_str());

    // A retry with the same Idempotency-Key and form answers the request filed first.
    let form = flooding_form(&key, &lat, &long);
    let first = post_form_keyed(&app, "/open311/v2/requests.json", &form, Some("dlu-request-0001")).await;
    let again = post_form_keyed(&app, "/open311/v2/requests.json", &form, Some("dlu-request-0001")).await;
    let id_of = |v: Value| v[0]["service_request_id"].as_str().unwrap().to_string();
    assert_eq!(id_of(again.json().await.unwrap()), id_of(first.json().await.unwrap()), "not a second report");

    // The IOC's figures count the channel.
    let stats: Value = app.get_json_as(&admin, "/api/v1/admin/stats?province=68").await;
    assert_eq!(stats["total"]["by_channel"], json!({"open311": 3}), "{stats}");
}

async fn filing_errors_have_the_specifications_shape(app: TestApp) {
    let admin = app.admin_token().await;
    let (key, key_id) = api_key(&app, &admin, &["68"], 60).await;
    let (lat, long) = (DA_LAT.0.to_string(), DA_LAT.1.to_string());
    let (sg_lat, sg_long) = (SAI_GON.0.to_string(), SAI_GON.1.to_string());
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, String)> =
            flooding_form(&key, &lat, &long).into_iter().map(|(n, v)| (n, v.to_string())).collect();
        for (name, value) in changes {
            form.retain(|(n, _)| n != name);
            if !value.is_empty() || *name == "api_key" {
                form.push((name, value.to_string()));
            }
        }
        form
    };
    let outside = {
        let mut form = with(&[]);
        form.retain(|(n, _)| *n != "lat" && *n != "long");
        form.extend([("lat", sg_lat.clone()), ("long", sg_long.clone())]);
        form
    };
    let unknown_key = with(&[("api_key", "cds_nope")]);
    let cases: Vec<(Vec<(&str, String)>, u16, &str)> = vec![
        (with(&[("api_key", "")]), 403, "api_key not provided"),
        (unknown_key, 403, "api_key is not valid or was revoked"),
        (with(&[("service_code", "potholes")]), 400, "service_code not found: potholes"),
        (with(&[("service_code", "")]), 400, "service_code not provided"),
        (outside, 400, "lat/long is outside the area this API key may file requests in"),
        (
            with(&[("lat", ""), ("address_string", "12 Lê Lợi")]),
            400,
            "lat and long are required: this server cannot locate address_string or address_id",
        ),
        (with(&[("lat", "north")]), 400, "lat is not a number: north"),
        (with(&[("description", "Tắc")]), 400, "description: At least 5 characters."),
        (with(&[("attribute[urgent]", "maybe")]), 400, "attribute[urgent] is true or false, not maybe"),
        (
            with(&[("attribute[colour]", "red")]),
            400,
            "attribute[colour] is not a question of service drainage_flooding",
        ),
        (with(&[("email", "not-an-email")]), 400, "email: "),
        (with(&[("media_url", "file:///etc/passwd")]), 400, "media_url is an http(s) URL of at most 1000 characters"),
        (with(&[("jurisdiction_id", "99")]), 404, "jurisdiction_id not found: 99"),
    ];
    for (form, status, description) in cases {
        let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = post_form(&app, "/open311/v2/requests.json", &fields).await;
        assert_eq!(response.status(), status, "{fields:?}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let errors: Value = response.json().await.unwrap();
        assert_eq!(errors[0]["code"], status, "{errors}");
        let told = errors[0]["description"].as_str().unwrap();
        assert!(told.starts_with(description), "{told:?} for {fields:?}");
        assert_eq!(errors.as_array().unwrap().len(), 1);
    }
    let json_body = app.post_json("/open311/v2/requests.json", &json!({"api_key": key})).await;
    assert_eq!(json_body.status(), 400);
    assert_eq!(
        json_body.json::<Value>().await.unwrap(),
        json!([{"code": 400, "description": "send the request as application/x-www-form-urlencoded"}])
    );
    assert_eq!(app.reports("").await.ids().len(), 0, "nothing was filed");

    // The same errors in XML; a revoked key is refused like an unknown one.
    let revoked = app.client.delete(app.url(&format!("/api/v1/admin/api-keys/{key_id}"))).bearer_auth(&admin);
    assert_eq!(revoked.send().await.unwrap().status(), 200);
    let form = flooding_form(&key, &lat, &long);
    let text = xml_of(post_form(&app, "/open311/v2/requests.xml", &form).await).await;
    assert!(
        text.ends_with("<errors><error><code>403</code><description>api_key is not valid or was revoked</description></error></errors>"),
        "{text}"
    );
    let (key, _) = api_key(&app, &admin, &["68"], 60).await;
    let form = flooding_form(&key, &sg_lat, &sg_long);
    let response = post_form(&app, "/open311/v2/requests.xml", &form).await;
    assert_eq!(response.status(), 400);
    let doc_text = xml_of(response).await;
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let error = doc.root_element().first_element_child().unwrap();
    assert_eq!(text_at(error, &["code"]), Some("400"));

    // Each key has its own limit a minute, told with Retry-After.
    let (slow, _) = api_key(&app, &admin, &["68"], 2).await;
    let form = flooding_form(&slow, &lat, &long);
    for _ in 0..2 {
        assert_eq!(post_form(&app, "/open311/v2/requests.json", &form).await.status(), 200);
    }
    let limited = post_form(&app, "/open311/v2/requests.json", &form).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let errors: Value = limited.json().await.unwrap();
    assert_eq!(errors[0]["code"], 429);
    let other = post_form(&app, "/open311/v2/requests.json", &flooding_form(&key, &lat, &long)).await;
    assert_eq!(other.status(), 200, "another key has its own allowance");
}
