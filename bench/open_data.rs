//! Open-data export of every public report (PostgreSQL; run `reports_load` first to seed a million):
//! time to the first byte, rows per second, and how much the server's memory grows while it streams,
//! next to PostgreSQL writing the same rows as CSV itself (`COPY … TO STDOUT` through `psql`).
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
    let _ = std::fs::remove_dir_all(data_dir);
}
