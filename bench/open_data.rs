//! Open-data export of every public report (PostgreSQL; run `reports_load` first to seed a million):
//! time to the first byte, rows per second, and how much the server's memory grows while it streams,
//! next to PostgreSQL writing the same rows as CSV itself (`COPY … TO STDOUT` through `psql`). Then the
//! public heatmap of a province (Lâm Đồng) at city zoom, next to `pgbench` counting the same squares.
//!
//! The server runs in this process, so the resident memory sampled is the server's and the client's
//! (which counts lines and keeps nothing).

use std::process::Command;
use std::time::{Duration, Instant};

use congdanso::config::Settings;
use congdanso::startup::Application;

/// The same rows the export reads, in the same order, as PostgreSQL's own CSV.
const RAW_SQL: &str = "COPY (SELECT r.id, r.created_at, r.category_code, c.name_vi, r.status, r.description, \
    r.address_text, r.unit_code, u.name, u.parent_code, o.name, round(r.lat::numeric, 3), round(r.lon::numeric, 3), \
    r.urgent, r.supporters, r.due_at, r.resolved_at, r.resolved_on_time, r.rating_score \
    FROM reports r JOIN admin_units u ON u.code = r.unit_code JOIN categories c ON c.code = r.category_code \
    LEFT JOIN organizations o ON o.id = r.organization_id \
    WHERE r.is_public AND r.status <> 'withdrawn' ORDER BY r.id) TO STDOUT WITH CSV HEADER";

/// The best SQL for the heatmap's answer for Lâm Đồng's box at zoom 12 (squares of 4 × 4 grid cells):
/// one pass counting all and overdue reports per square.
const HEATMAP_SQL: &str = "SELECT (cell / 100000) / 4, (cell % 100000) / 4, count(*), \
    count(*) FILTER (WHERE status IN ('submitted', 'accepted', 'in_progress') AND due_at < now()) \
    FROM reports WHERE is_public AND status <> 'withdrawn' AND lat BETWEEN 11.0 AND 12.5 AND lon BETWEEN 107.2 AND 108.8 \
    GROUP BY 1, 2;";
const HEATMAP_PATH: &str = "/api/v1/reports/heatmap?bbox=107.2,11.0,108.8,12.5&zoom=12";
const HEATMAP_RUNS: usize = 50;

/// The average latency of `sql` run `runs` times by pgbench on one connection, in milliseconds.
fn pgbench_ms(url: &str, sql: &str, runs: usize) -> f64 {
    let script = std::env::temp_dir().join(format!("congdanso-bench-{}.sql", uuid::Uuid::now_v7().simple()));
    std::fs::write(&script, sql).unwrap();
    let output = Command::new("pgbench")
        .args(["-n", "-c", "1", "-t", &runs.to_string(), "-f", &script.display().to_string(), url])
        .output()
        .expect("pgbench runs");
    let _ = std::fs::remove_file(script);
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|line| line.starts_with("latency average"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("pgbench: {text}{}", String::from_utf8_lossy(&output.stderr)))
}

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL=postgres://… (seeded by reports_load)");
    assert!(url.starts_with("postgres"), "this benchmark compares against psql's COPY: PostgreSQL only");
    let data_dir = std::env::temp_dir().join(format!("congdanso-bench-{}", uuid::Uuid::now_v7().simple()));
    let vars = [
        ("DATABASE_URL", url.clone()),
        ("CDS_BIND", "127.0.0.1:0".to_string()),
        ("CDS_DATA_DIR", data_dir.display().to_string()),
        ("CDS_DEADLINE_CHECK_SECS", "0".to_string()),
    ];
    let settings = Settings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let app = Application::build(settings).await.expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    // As autovacuum leaves a table at rest: statistics current, the visibility map set (index-only scans).
    let vacuum = Command::new("psql").args([url.as_str(), "-q", "-c", "VACUUM (ANALYZE) reports"]).output().unwrap();
    assert!(vacuum.status.success(), "{}", String::from_utf8_lossy(&vacuum.stderr));

    let raw_started = Instant::now();
    let raw = Command::new("psql").args([url.as_str(), "-q", "-c", RAW_SQL]).output().expect("psql runs");
    assert!(raw.status.success(), "{}", String::from_utf8_lossy(&raw.stderr));
    let raw_elapsed = raw_started.elapsed();
    let raw_rows = raw.stdout.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
    drop(raw);

    let baseline = resident_mb();
    let peak = std::sync::Arc::new(std::sync::Mutex::new(baseline));
    let sampler = {
        let peak = std::sync::Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                let now = resident_mb();
                {
                    let mut peak = peak.lock().unwrap();
                    *peak = peak.max(now);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let mut response = reqwest::get(format!("{base}/api/v1/open-data/reports.csv")).await.unwrap();
    assert_eq!(response.status(), 200);
    let (mut first_byte, mut newlines, mut bytes) = (None, 0usize, 0usize);
    while let Some(chunk) = response.chunk().await.unwrap() {
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += chunk.len();
        newlines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let elapsed = started.elapsed();
    sampler.abort();
    let rows = newlines.saturating_sub(1);
    let growth = *peak.lock().unwrap() - baseline;
    let app_rate = rows as f64 / elapsed.as_secs_f64();
    let raw_rate = raw_rows as f64 / raw_elapsed.as_secs_f64();
    println!("| export | rows | first byte | time | rows/s | MB | RSS growth |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| app `GET …/reports.csv` | {rows} | {:.0} ms | {:.1} s | {app_rate:.0} ({:.2}× raw) | {:.0} | {growth:.1} MB |",
        first_byte.unwrap_or_default().as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
        app_rate / raw_rate,
        bytes as f64 / 1e6,
    );
    println!(
        "| raw `COPY … TO STDOUT` (psql) | {raw_rows} | | {:.1} s | {raw_rate:.0} | | |",
        raw_elapsed.as_secs_f64()
    );

    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(HEATMAP_RUNS);
    let mut squares = 0;
    for _ in 0..HEATMAP_RUNS {
        let started = Instant::now();
        let map: serde_json::Value =
            client.get(format!("{base}{HEATMAP_PATH}")).send().await.unwrap().json().await.unwrap();
        latencies.push(started.elapsed());
        squares = map["squares"].as_array().map_or(0, Vec::len);
    }
    latencies.sort();
    let at = |share: f64| latencies[((latencies.len() - 1) as f64 * share) as usize].as_secs_f64() * 1000.0;
    let raw_ms = pgbench_ms(&url, HEATMAP_SQL, HEATMAP_RUNS);
    println!();
    println!(
        "| heatmap of Lâm Đồng at zoom 12 ({squares} squares) | p50 | p99 | raw GROUP BY (pgbench, mean) | p50 / raw |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| app `GET {HEATMAP_PATH}` | {:.1} ms | {:.1} ms | {raw_ms:.1} ms | {:.2}× |",
        at(0.5),
        at(0.99),
        at(0.5) / raw_ms
    );
    let _ = std::fs::remove_dir_all(data_dir);
}
