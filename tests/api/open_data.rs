//! Open data: public reports only, anonymized, rounded, in three formats, streamed and gzipped on request.

use std::io::Read;

use serde_json::{json, Value};

use crate::common::{assert_problem, report_at, sign_up, TestApp, DA_LAT, SAI_GON};
use crate::on_both_databases;

on_both_databases!(
    open_data_holds_public_reports_only_with_nothing_of_who_filed_them,
    open_data_filters_by_day_province_category_and_status,
    open_data_comes_gzipped_with_a_dated_name_and_its_licence,
    open_data_reads_page_after_page_without_losing_or_repeating_a_row,
);

const SECRET_NOTE: &str = "Ghi chú nội bộ: chủ nhà hay gây khó dễ";
const MESSAGE: &str = "Xin gửi thêm ảnh cận cảnh";

struct Seeded {
    public: String,
    anonymous: String,
    private: String,
    withdrawn: String,
    elsewhere: String,
    reporter_id: String,
}

/// Reports of every kind, one reporter with a phone and one with an email, and notes the public must not see.
async fn seeded(app: &TestApp) -> Seeded {
    let admin = app.admin_token().await;
    let an = app.citizen("0912345678").await;
    let binh = app.register(sign_up(json!({"email": "binh@example.vn", "full_name": "Trần Thị Bình"}))).await;
    let precise = (11.903_37, 108.443_12);
    let public = app.file_report(&an, &report_at(precise, json!({"category": "waste"}))).await;
    let anonymous = app.file_report(&binh, &report_at(DA_LAT, json!({"is_anonymous": true}))).await;
    let private = app.file_report(&an, &report_at(DA_LAT, json!({"is_public": false}))).await;
    let withdrawn = app.file_report(&binh, &report_at(DA_LAT, json!({}))).await;
    let path = format!("/api/v1/reports/{}/withdraw", withdrawn.id);
    assert_eq!(app.post_json_as(&binh.token, &path, &json!({})).await.status(), 200);
    let elsewhere = app.file_report(&an, &report_at(SAI_GON, json!({}))).await;
    let ward = app.official_of(&admin, &public.organization_id, "phuong@dalat.gov.vn", "vi").await;
    app.acted(&ward, &public.id, json!({"action": "accept"})).await;
    app.acted(&ward, &public.id, json!({"action": "comment", "note": SECRET_NOTE})).await;
    app.acted(&ward, &public.id, json!({"action": "message", "note": MESSAGE})).await;
    Seeded {
        public: public.id,
        anonymous: anonymous.id,
        private: private.id,
        withdrawn: withdrawn.id,
        elsewhere: elsewhere.id,
        reporter_id: an.id,
    }
}

async fn text(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect()
}

async fn open_data_holds_public_reports_only_with_nothing_of_who_filed_them(app: TestApp) {
    let s = seeded(&app).await;
    let csv = text(&app, "/api/v1/open-data/reports.csv").await;
    let geojson: Value = serde_json::from_str(&text(&app, "/api/v1/open-data/reports.geojson").await).unwrap();
    let ndjson = text(&app, "/api/v1/open-data/reports.ndjson").await;

    let mut ids: Vec<String> = csv_rows(&csv).iter().map(|row| row[0].to_string()).collect();
    ids.sort();
    let mut expected = vec![s.public.clone(), s.anonymous.clone(), s.elsewhere.clone()];
    expected.sort();
    assert_eq!(ids, expected, "public reports only: not {} nor {}", s.private, s.withdrawn);
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    assert_eq!(ndjson.lines().count(), 3);
    let header = csv.lines().next().unwrap();
    assert_eq!(header.split(',').collect::<Vec<_>>()[..3], ["id", "received_at", "category"]);

    for (format, body) in [("csv", csv.as_str()), ("ndjson", ndjson.as_str()), ("geojson", &geojson.to_string())] {
        for secret in [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "912345678",
            "binh@example.vn",
            s.reporter_id.as_str(),
            SECRET_NOTE,
            MESSAGE,
        ] {
            assert!(!body.contains(secret), "{format} holds {secret:?}");
        }
    }
    // Positions to three decimals: 11.90337, 108.44312 is published as 11.903, 108.443.
    let public = features.iter().find(|f| f["id"] == s.public.as_str()).unwrap();
    assert_eq!(public["geometry"], json!({"type": "Point", "coordinates": [108.443, 11.903]}));
    for feature in features {
        for degrees in feature["geometry"]["coordinates"].as_array().unwrap() {
            let scaled = degrees.as_f64().unwrap() * 1000.0;
            assert!((scaled - scaled.round()).abs() < 1e-6, "{degrees} is not rounded");
        }
    }
    let properties = &public["properties"];
    assert_eq!((properties["status"].as_str(), properties["province_code"].as_str()), (Some("accepted"), Some("68")));
    assert_eq!(properties["category_name"], "Rác thải, vệ sinh môi trường");
    assert!(properties.get("reporter").is_none() && properties.get("reporter_id").is_none());
}

async fn open_data_filters_by_day_province_category_and_status(app: TestApp) {
    let s = seeded(&app).await;
    let ids = |csv: String| -> Vec<String> { csv_rows(&csv).iter().map(|row| row[0].to_string()).collect() };
    let lam_dong = ids(text(&app, "/api/v1/open-data/reports.csv?province=68").await);
    assert_eq!(lam_dong.len(), 2);
    assert!(lam_dong.contains(&s.public) && lam_dong.contains(&s.anonymous));
    assert_eq!(ids(text(&app, "/api/v1/open-data/reports.csv?category=waste").await), [s.public.clone()]);
    assert_eq!(ids(text(&app, "/api/v1/open-data/reports.csv?status=accepted").await), [s.public.clone()]);
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(ids(text(&app, &format!("/api/v1/open-data/reports.csv?from={today}&to={today}")).await).len(), 3);
    assert!(ids(text(&app, &format!("/api/v1/open-data/reports.csv?from={tomorrow}")).await).is_empty());
    let header_only = text(&app, &format!("/api/v1/open-data/reports.csv?from={tomorrow}")).await;
    assert_eq!(header_only.lines().count(), 1, "an empty export still has its header");
    let empty: Value =
        serde_json::from_str(&text(&app, &format!("/api/v1/open-data/reports.geojson?from={tomorrow}")).await).unwrap();
    assert_eq!(empty["features"], json!([]));

    for (query, field) in [
        (format!("from={tomorrow}&to={today}"), "to"),
        ("from=2026-13-01".to_string(), "from"),
        ("province=99".to_string(), "province"),
        ("status=lost".to_string(), "status"),
        ("reporter=me".to_string(), "reporter"),
    ] {
        let problem =
            assert_problem(app.get(&format!("/api/v1/open-data/reports.csv?{query}")).await, 422, "validation_failed")
                .await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    assert_problem(app.get("/api/v1/open-data/reports.xml").await, 404, "route_not_found").await;
}

async fn open_data_comes_gzipped_with_a_dated_name_and_its_licence(app: TestApp) {
    seeded(&app).await;
    let plain = app.get("/api/v1/open-data/reports.csv").await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let header = |name: &str| plain.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(header("content-disposition"), Some(format!("attachment; filename=\"congdanso-reports-{today}.csv\"")));
    assert_eq!(
        header("link").as_deref(),
        Some("<https://creativecommons.org/licenses/by/4.0/>; rel=\"license\"; title=\"CC BY 4.0\"")
    );
    let plain_text = plain.text().await.unwrap();

    let zipped = app
        .client
        .get(app.url("/api/v1/open-data/reports.csv"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let bytes = zipped.bytes().await.unwrap();
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain_text);

    let geojson: Value = serde_json::from_str(&text(&app, "/api/v1/open-data/reports.geojson").await).unwrap();
    assert_eq!(geojson["license"], json!({"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}));
}

async fn open_data_reads_page_after_page_without_losing_or_repeating_a_row(app: TestApp) {
    let citizen = app.citizen("0912345678").await;
    let filed = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    // More than two pages of the export's 1,000 rows: copies of the filed report, written directly.
    let copies = 2_004;
    app.database()
        .run(move |conn| {
            use congdanso::db::schema::reports;
            use congdanso::reports::row::ReportRow;
            use congdanso::values::ReportId;
            use diesel::{QueryDsl as _, RunQueryDsl as _, SelectableHelper as _};
            let original: ReportRow = reports::table.find(&filed.id).select(ReportRow::as_select()).first(conn)?;
            let rows: Vec<ReportRow> =
                (0..copies).map(|_| ReportRow { id: ReportId::new(), ..original.clone() }).collect();
            for chunk in rows.chunks(500) {
                congdanso::insert_batch!(&mut *conn, reports::table, chunk.to_vec())?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let ndjson = text(&app, "/api/v1/open-data/reports.ndjson").await;
    let ids: Vec<String> = ndjson
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].as_str().unwrap().into())
        .collect();
    assert_eq!(ids.len(), copies + 1);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "in id order, none twice");
    let geojson: Value = serde_json::from_str(&text(&app, "/api/v1/open-data/reports.geojson").await).unwrap();
    assert_eq!(geojson["features"].as_array().unwrap().len(), copies + 1);
    assert_eq!(csv_rows(&text(&app, "/api/v1/open-data/reports.csv").await).len(), copies + 1);
}
