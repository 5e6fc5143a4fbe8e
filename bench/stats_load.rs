//! The IOC's figures over a year of one province with a million reports (PostgreSQL): 8 clients
//! refreshing the province's statistics for 2026 (and its scorecard per commune), next to `pgbench`
//! running the best single SQL for the same figures over the reports, and reading the monthly sums alone.
//!
//! Run: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/congdanso_stats_bench cargo run --release
//! --example stats_load`. The database is filled once (1 M reports in Lâm Đồng, received through 2026,
//! with their acceptances, starts, escalations and ratings) and reused. `BENCH_SECONDS` (10) and
//! `BENCH_CLIENTS` (8) change the scenario.

use std::process::Command;
use std::time::{Duration, Instant};

use congdanso::config::Settings;
use congdanso::startup::Application;

const REPORTS: i64 = 1_000_000;
const PROVINCE: &str = "68";
const YEAR: &str = "from=2026-01-01&to=2026-12-31";

/// A million reports in the province's communes through 2026, in SQL for speed: statuses, resolutions
/// (85 % on time), ratings, and the events the figures read (first acceptance and start, escalations).
fn seed_sql(reporter: &str) -> String {
    format!(
        r#"
CREATE TEMP TABLE communes AS SELECT row_number() OVER (ORDER BY code) AS k, code, lat, lon FROM admin_units WHERE parent_code = '{PROVINCE}';
CREATE TEMP TABLE plan AS
SELECT g, c.code, c.lat, c.lon,
       (ARRAY['roads','street_lighting','waste','drainage_flooding','urban_order','trees_parks','other'])[1 + (g % 7)] AS category,
       created,
       -- The last month's reports are still being handled; of the older ones 1 % is stuck in progress.
       CASE WHEN created >= timestamp '2026-11-02' THEN
                CASE WHEN r < 0.15 THEN 'submitted' WHEN r < 0.35 THEN 'accepted' WHEN r < 0.65 THEN 'in_progress'
                     WHEN r < 0.70 THEN 'rejected' ELSE 'resolved' END
            WHEN r < 0.01 THEN 'in_progress' WHEN r < 0.04 THEN 'rejected' WHEN r < 0.14 THEN 'resolved'
            ELSE 'closed' END AS status,
       random() * 600 AS accept_min, random() * 2000 AS start_min, 1 + random() * 20 AS resolve_days,
       random() < 0.85 AS on_time, random() < 0.10 AS escalated, random() < 0.6 AS rated, random() < 0.05 AS reopened
FROM (SELECT g, random() AS r, 1 + (g % (SELECT count(*) FROM communes)) AS k,
             timestamp '2025-12-31 17:00' + (random() * interval '365 days') AS created
      FROM generate_series(1, {REPORTS}) g) s
JOIN communes c ON c.k = s.k;
INSERT INTO reports (id, reporter_id, category_code, description, search_text, lat, lon, cell, unit_code, unit_approximate,
    status, is_public, is_anonymous, urgent, supporters, created_at, updated_at, due_at, resolved_at, resolved_on_time,
    rating_score, rated_at)
SELECT 'sb-' || g, '{reporter}', category, 'Bench', 'bench', lat, lon,
       (floor(lat * 100)::bigint + 9000) * 100000 + floor(lon * 100)::bigint + 18000, code, false,
       status, true, false, g % 10 = 0, 0, created, created, created + interval '14 days',
       CASE WHEN status IN ('resolved', 'closed') THEN created + resolve_days * interval '1 day' END,
       CASE WHEN status IN ('resolved', 'closed') THEN on_time END,
       CASE WHEN status = 'closed' AND rated THEN 1 + (g % 5) END,
       CASE WHEN status = 'closed' AND rated THEN created + (resolve_days + 1) * interval '1 day' END
FROM plan;
INSERT INTO report_events (id, report_id, kind, is_public, created_at)
SELECT 'sa-' || g, 'sb-' || g, 'accepted', true, created + accept_min * interval '1 minute' FROM plan
WHERE status NOT IN ('submitted', 'rejected');
INSERT INTO report_events (id, report_id, kind, is_public, created_at)
SELECT 'ss-' || g, 'sb-' || g, 'started', true, created + (accept_min + start_min) * interval '1 minute' FROM plan
WHERE status IN ('in_progress', 'resolved', 'closed');
INSERT INTO report_events (id, report_id, kind, is_public, created_at)
SELECT 'se-' || g, 'sb-' || g, 'escalated', false, created + interval '14 days' FROM plan WHERE escalated;
INSERT INTO report_events (id, report_id, kind, is_public, created_at)
SELECT 'sr-' || g, 'sb-' || g, 'reopened', true, created + resolve_days * interval '1 day' FROM plan
WHERE reopened AND status IN ('resolved', 'closed');
VACUUM ANALYZE reports;
VACUUM ANALYZE report_events;
"#
    )
}

/// The best single SQL for the province's year over the reports themselves: the counts, the on-time
/// and rating figures, and the three medians and p90s, with each report's first acceptance and start.
const RAW_SQL: &str = r#"
WITH r AS (
  SELECT r.id, r.status, r.created_at, r.resolved_at, r.resolved_on_time, r.rating_score
  FROM reports r JOIN admin_units u ON u.code = r.unit_code
  WHERE u.parent_code = '68' AND r.status <> 'withdrawn'
    AND r.created_at >= '2025-12-31 17:00' AND r.created_at < '2026-12-31 17:00'),
e AS (
  SELECT e.report_id,
         min(e.created_at) FILTER (WHERE kind = 'accepted') AS accepted_at,
         min(e.created_at) FILTER (WHERE kind = 'started') AS started_at,
         bool_or(kind = 'reopened') AS reopened, bool_or(kind = 'escalated') AS escalated
  FROM report_events e JOIN r ON r.id = e.report_id
  WHERE kind IN ('accepted', 'started', 'reopened', 'escalated') GROUP BY e.report_id)
SELECT r.status, count(*), count(*) FILTER (WHERE r.resolved_on_time), count(r.rating_score), avg(r.rating_score),
       count(*) FILTER (WHERE e.escalated), count(*) FILTER (WHERE e.reopened),
       percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY e.accepted_at - r.created_at),
       percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY e.started_at - r.created_at),
       percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.resolved_at - r.created_at)
FROM r LEFT JOIN e ON e.report_id = r.id GROUP BY ROLLUP (r.status);
"#;

/// What the app reads for the same answer: the province's sums of each month of the year, and the count
/// of its reports overdue now.
const MONTHS_SQL: &str = "SELECT * FROM report_stats_months WHERE month >= '2026-01-01' AND month < '2027-01-01' \
    AND unit_code = '68' AND category_code = '*'; \
    SELECT count(*) FROM reports WHERE status IN ('submitted', 'accepted', 'in_progress') AND due_at < now() \
    AND unit_code IN (SELECT code FROM admin_units WHERE parent_code = '68') \
    AND created_at >= '2025-12-31 17:00' AND created_at < '2026-12-31 17:00';";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}

/// pgbench running `sql` from `clients` connections for `seconds`: transactions per second and average ms.
fn pgbench(url: &str, sql: &str, clients: usize, seconds: u64) -> (f64, f64) {
    let script = std::env::temp_dir().join(format!("congdanso-bench-{}.sql", uuid::Uuid::now_v7().simple()));
    std::fs::write(&script, sql).unwrap();
    let output = Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(url)
        .output()
        .expect("pgbench runs (PostgreSQL's client tools)");
    let _ = std::fs::remove_file(script);
    let text = String::from_utf8_lossy(&output.stdout);
    let number = |prefix: &str, nth: usize| {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.split_whitespace().nth(nth))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("pgbench: {text}{}", String::from_utf8_lossy(&output.stderr)))
    };
    (number("tps = ", 2), number("latency average", 3))
}

/// Runs a script through `psql`, a statement at a time (VACUUM cannot run in a transaction).
fn psql(url: &str, sql: &str) {
    let script = std::env::temp_dir().join(format!("congdanso-seed-{}.sql", uuid::Uuid::now_v7().simple()));
    std::fs::write(&script, sql).unwrap();
    let status =
        Command::new("psql").args(["-q", "-v", "ON_ERROR_STOP=1", url, "-f"]).arg(&script).status().expect("psql runs");
    let _ = std::fs::remove_file(script);
    assert!(status.success(), "psql failed");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url =
        std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL=postgres://… (a database for the benchmark)");
    assert!(url.starts_with("postgres"), "this benchmark compares against pgbench: PostgreSQL only");
    let (seconds, clients): (u64, usize) = (env_or("BENCH_SECONDS", 10), env_or("BENCH_CLIENTS", 8));
    let data_dir = std::env::temp_dir().join(format!("congdanso-bench-{}", uuid::Uuid::now_v7().simple()));
    let vars = [
        ("DATABASE_URL", url.clone()),
        ("CDS_BIND", "127.0.0.1:0".to_string()),
        ("CDS_DATA_DIR", data_dir.display().to_string()),
        ("CDS_AUTH_RATE_LIMIT", "1000000".to_string()),
        ("CDS_DB_POOL_SIZE", "16".to_string()),
        ("CDS_DEADLINE_CHECK_SECS", "0".to_string()),
    ];
    let settings = Settings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let db = congdanso::db::Db::new(&settings).unwrap();
    let app = Application::build(settings).await.expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let email = format!("admin-{}@tinh.gov.vn", uuid::Uuid::now_v7().simple());
    let (address, password) = (email.clone(), "quan-tri-vien-2026".to_string());
    let reporter = db
        .run(move |conn| {
            let email = congdanso::accounts::Email::parse(&address, "email")?;
            let password = congdanso::auth::password::Password::parse(password, "password")?;
            congdanso::accounts::create_admin(conn, &email, &password, "Quản trị viên")?;
            use congdanso::db::schema::users;
            use diesel::prelude::*;
            Ok(users::table.filter(users::email.eq(email.as_str())).select(users::id).first::<String>(conn)?)
        })
        .await
        .unwrap();
    let login = serde_json::json!({"login": email, "password": "quan-tri-vien-2026"});
    let tokens: serde_json::Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_string();

    let seeded = db
        .run(|conn| {
            use congdanso::db::schema::reports;
            use diesel::prelude::*;
            Ok(reports::table.filter(reports::id.like("sb-%")).count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    if seeded < REPORTS {
        let started = Instant::now();
        psql(&url, &seed_sql(&reporter));
        let marked = db.run(congdanso::stats::months::mark_all).await.unwrap();
        let summing = Instant::now();
        let computed = db.run(congdanso::stats::months::refresh).await.unwrap();
        println!(
            "seeded {REPORTS} reports in {:.0} s; {marked} (month, commune) sums computed ({computed}) in {:.0} s",
            summing.duration_since(started).as_secs_f64(),
            summing.elapsed().as_secs_f64()
        );
    }

    println!(
        "stats_load on PostgreSQL: {REPORTS} reports in province {PROVINCE} through 2026, {clients} clients, {seconds} s each, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (label, path) in [
        ("province year", format!("/api/v1/admin/stats?province={PROVINCE}&{YEAR}")),
        ("per commune  ", format!("/api/v1/admin/stats?province={PROVINCE}&{YEAR}&group_by=unit")),
        ("last 30 days ", format!("/api/v1/admin/stats?province={PROVINCE}&from=2026-11-02&to=2026-12-01")),
    ] {
        let check = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(check.status(), 200, "{}", check.text().await.unwrap());
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (client, url, token) = (client.clone(), format!("{base}{path}"), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let start = Instant::now();
                    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                    latencies.push(start.elapsed());
                }
                latencies
            }));
        }
        let mut samples = Vec::new();
        for task in tasks {
            samples.extend(task.await.unwrap());
        }
        let rate = samples.len() as f64 / seconds as f64;
        let (p50, p99) = percentiles(samples);
        let verdict = if p50 < 200.0 && p99 < 500.0 { "under 200/500 ms" } else { "OVER 200/500 ms" };
        println!("  {label}  app {rate:7.1}/s  p50 {p50:7.1} ms  p99 {p99:7.1} ms  ({verdict})");
    }
    let (raw_tps, raw_ms) = pgbench(&url, RAW_SQL, clients, seconds);
    let (months_tps, months_ms) = pgbench(&url, MONTHS_SQL, clients, seconds);
    println!("  raw SQL over the reports (the same figures): {raw_tps:7.2}/s  average {raw_ms:8.1} ms");
    println!("  the app's SQL alone (the year's sums, overdue now): {months_tps:7.1}/s  average {months_ms:8.1} ms");
    let _ = std::fs::remove_dir_all(data_dir);
}
