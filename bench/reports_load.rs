//! Reports at scale on PostgreSQL: a million reports spread over Vietnam, then
//!   * `GET /api/v1/reports?near=…&radius_m=500` from 32 concurrent clients, and
//!   * `POST /api/v1/reports` from 32 concurrent clients,
//! each beside the same SQL run directly by `pgbench` on the same database, as a ratio.
//!
//! Run (the database is filled once and reused): `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/congdanso_bench
//! cargo run --release --example reports_load`. `BENCH_REPORTS` (default 1000000), `BENCH_SECONDS` (10) and
//! `BENCH_CLIENTS` (32) change the scenario.

use std::process::Command;
use std::time::{Duration, Instant};

use congdanso::config::Settings;
use congdanso::db::schema::{admin_units, reports};
use congdanso::reports::geo::cell_of;
use congdanso::reports::row::ReportRow;
use congdanso::startup::Application;
use congdanso::values::{ReportId, UserId};
use diesel::prelude::*;
use rand::Rng;

const CATEGORIES: &[&str] =
    &["roads", "street_lighting", "waste", "drainage_flooding", "urban_order", "trees_parks", "other"];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}

/// Runs a pgbench script; returns transactions per second and the p50/p99 latency from its per-transaction log.
fn pgbench(url: &str, script: &str, clients: usize, seconds: u64) -> (f64, f64, f64) {
    let dir = std::env::temp_dir().join(format!("congdanso-pgbench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("script.sql");
    std::fs::write(&file, script).unwrap();
    let output = Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), "-l", "--log-prefix"])
        .arg(dir.join("log"))
        .arg("-f")
        .arg(&file)
        .arg(url)
        .output()
        .expect("pgbench runs (PostgreSQL's client tools)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pgbench failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
        .unwrap_or(0.0);
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("log") {
            for line in std::fs::read_to_string(path).unwrap().lines() {
                if let Some(micros) = line.split_whitespace().nth(2).and_then(|v| v.parse::<u64>().ok()) {
                    latencies.push(Duration::from_micros(micros));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    let (p50, p99) = percentiles(latencies);
    (tps, p50, p99)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url =
        std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL=postgres://… (a database for the benchmark)");
    assert!(url.starts_with("postgres"), "this benchmark compares against pgbench: PostgreSQL only");
    let (total, seconds, clients): (usize, u64, usize) =
        (env_or("BENCH_REPORTS", 1_000_000), env_or("BENCH_SECONDS", 10), env_or("BENCH_CLIENTS", 32));
    let data_dir = std::env::temp_dir().join(format!("congdanso-bench-{}", uuid::Uuid::now_v7().simple()));
    let vars = [
        ("DATABASE_URL", url.clone()),
        ("CDS_BIND", "127.0.0.1:0".to_string()),
        ("CDS_DATA_DIR", data_dir.display().to_string()),
        ("CDS_AUTH_RATE_LIMIT", "1000000".to_string()),
        ("CDS_DB_POOL_SIZE", "16".to_string()),
    ];
    let settings = Settings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let db = congdanso::db::Db::new(&settings).unwrap();
    let app = Application::build(settings).await.expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let phone = "0900000001";
    let body =
        serde_json::json!({"phone": phone, "password": "đèn đường hỏng 2026", "full_name": "Bench", "consent": true});
    let _ = client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await.unwrap();
    let login = serde_json::json!({"login": phone, "password": "đèn đường hỏng 2026"});
    let tokens: serde_json::Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let user_id = UserId::from(tokens["user"]["id"].as_str().unwrap());

    let mut conn = db.get().unwrap();
    let communes: Vec<(String, f64, f64)> = admin_units::table
        .filter(admin_units::level.eq(2))
        .select((admin_units::code, admin_units::lat, admin_units::lon))
        .order(admin_units::code)
        .load(&mut *conn)
        .unwrap();
    let existing: i64 = reports::table.count().get_result(&mut *conn).unwrap();
    if (existing as usize) < total {
        let started = Instant::now();
        let mut rng = rand::thread_rng();
        let now = chrono::Utc::now().naive_utc();
        let mut batch = Vec::with_capacity(2000);
        for i in existing as usize..total {
            let (code, lat, lon) = &communes[rng.gen_range(0..communes.len())];
            let (lat, lon) = (lat + rng.gen_range(-0.03..0.03), lon + rng.gen_range(-0.03..0.03));
            batch.push(ReportRow {
                id: ReportId::new(),
                reporter_id: user_id.clone(),
                category_code: CATEGORIES[i % CATEGORIES.len()].to_string(),
                description: format!("Phản ánh mẫu số {i}"),
                address_text: None,
                search_text: format!("phan anh mau so {i}"),
                lat,
                lon,
                accuracy_m: Some(10.0),
                cell: cell_of(lat, lon),
                unit_code: code.clone(),
                unit_approximate: true,
                status: "submitted".into(),
                is_public: i % 10 != 0,
                is_anonymous: false,
                urgent: false,
                supporters: 0,
                captured_at: None,
                created_at: now,
                updated_at: now,
                due_at: None,
                organization_id: None,
                assignee_id: None,
                resolved_at: None,
                rating_score: None,
                rating_comment: None,
                rated_at: None,
                escalated_at: None,
                remind_at: None,
                closes_at: None,
                resolved_on_time: None,
                review_requested_at: None,
            });
            if batch.len() == 2000 || i + 1 == total {
                congdanso::insert_batch!(&mut *conn, reports::table, &batch).unwrap();
                batch.clear();
            }
        }
        diesel::sql_query("ANALYZE reports").execute(&mut *conn).unwrap();
        println!("seeded {} reports in {:.0} s", total - existing as usize, started.elapsed().as_secs_f64());
    }
    // pgbench picks its random commune centroids from here (the app's clients pick from the same list).
    diesel::connection::SimpleConnection::batch_execute(
        &mut *conn,
        "CREATE TABLE IF NOT EXISTS bench_centers AS \
         SELECT (row_number() OVER (ORDER BY code))::int AS k, code, lat, lon FROM admin_units WHERE level = 2; \
         CREATE UNIQUE INDEX IF NOT EXISTS bench_centers_k ON bench_centers (k)",
    )
    .unwrap();
    drop(conn);

    // --- near: the app over HTTP ---
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, communes) = (client.clone(), base.clone(), communes.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (_, lat, lon) = &communes[rand::thread_rng().gen_range(0..communes.len())];
                let start = Instant::now();
                let response =
                    client.get(format!("{base}/api/v1/reports?near={lat},{lon}&radius_m=500")).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut near = Vec::new();
    for task in tasks {
        near.extend(task.await.unwrap());
    }
    let near_rate = near.len() as f64 / seconds as f64;
    let (near_p50, near_p99) = percentiles(near);

    // --- near: the best single SQL for the same answer, straight through pgbench (bench/sql/near.sql) ---
    let near_sql = include_str!("sql/near.sql");
    let (raw_near_tps, raw_near_p50, raw_near_p99) = pgbench(&url, near_sql, clients, seconds);

    // --- filing: the app over HTTP ---
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, communes, token) = (client.clone(), base.clone(), communes.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (_, lat, lon) = &communes[rand::thread_rng().gen_range(0..communes.len())];
                let body = serde_json::json!({"category": "waste", "description": "Rác thải đổ bừa bãi.", "position": {"lat": lat, "lon": lon}});
                let start = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut create = Vec::new();
    for task in tasks {
        create.extend(task.await.unwrap());
    }
    let create_rate = create.len() as f64 / seconds as f64;
    let (create_p50, create_p99) = percentiles(create);

    // --- filing: the same statements in one transaction through pgbench (bench/sql/file_report.sql) ---
    let create_sql = include_str!("sql/file_report.sql").replace(":user", user_id.as_str());
    let (raw_create_tps, raw_create_p50, raw_create_p99) = pgbench(&url, &create_sql, clients, seconds);

    let reports_now: i64 = reports::table.count().get_result(&mut *db.get().unwrap()).unwrap();
    println!(
        "reports_load on PostgreSQL: {reports_now} reports, {clients} concurrent clients, {seconds} s each, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("  near 500 m   app  {near_rate:8.0}/s  p50 {near_p50:6.2} ms  p99 {near_p99:6.2} ms   raw SQL {raw_near_tps:8.0}/s  p50 {raw_near_p50:6.2} ms  p99 {raw_near_p99:6.2} ms   app/raw rate {:.2}  ({})",
        near_rate / raw_near_tps, if near_p99 < 20.0 { "p99 under 20 ms" } else { "p99 OVER 20 ms" });
    println!("  file report  app  {create_rate:8.0}/s  p50 {create_p50:6.2} ms  p99 {create_p99:6.2} ms   raw SQL {raw_create_tps:8.0}/s  p50 {raw_create_p50:6.2} ms  p99 {raw_create_p99:6.2} ms   app/raw rate {:.2}  ({})",
        create_rate / raw_create_tps, if create_rate * 2.0 >= raw_create_tps { "at least half the raw rate" } else { "UNDER half the raw rate" });
    let _ = std::fs::remove_dir_all(data_dir);
}
