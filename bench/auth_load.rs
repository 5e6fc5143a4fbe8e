//! Log-in under load: latency of 16 concurrent log-ins, and of `GET /api/v1/categories` meanwhile,
//! each next to the raw cost underneath it on this machine (one argon2id hash; the categories query
//! run directly on the database).
//!
//! Run: `cargo run --release --example auth_load` (SQLite in a temporary folder), or with
//! `BENCH_DATABASE_URL=postgres://…` for PostgreSQL (the database must be empty or disposable).

use std::time::{Duration, Instant};

use congdanso::config::Settings;
use congdanso::startup::Application;

const CONCURRENT_LOGINS: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(10);
const CATEGORY_PAUSE: Duration = Duration::from_millis(20);
const PASSWORD: &str = "đèn đường hỏng 2026";

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let data_dir = std::env::temp_dir().join(format!("congdanso-bench-{}", uuid::Uuid::now_v7().simple()));
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", data_dir.join("bench.db").display()));
    let vars = [
        ("DATABASE_URL", database_url.clone()),
        ("CDS_BIND", "127.0.0.1:0".into()),
        ("CDS_DATA_DIR", data_dir.display().to_string()),
        ("CDS_AUTH_RATE_LIMIT", "1000000".into()),
        ("CDS_LOG_FORMAT", "text".into()),
    ];
    let settings = Settings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let hashers = settings.hash_concurrency;
    let db = congdanso::db::Db::new(&settings).unwrap();
    let app = Application::build(settings).await.expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    // Baseline 1: one argon2id hash, alone, on this machine (after a few to warm up the allocator).
    let password = congdanso::auth::password::Password::parse(PASSWORD.into(), "p").unwrap();
    for _ in 0..3 {
        congdanso::auth::password::hash(&password).unwrap();
    }
    let mut hashes: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            congdanso::auth::password::hash(&password).unwrap();
            start.elapsed()
        })
        .collect();
    let hash_p50 = percentile(&mut hashes, 0.5);

    // Baseline 2: the categories query straight on the database, no HTTP.
    let mut raw_categories = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        db.run(congdanso::categories::list_active).await.unwrap();
        raw_categories.push(start.elapsed());
    }
    let raw_categories_p99 = percentile(&mut raw_categories, 0.99);

    let mut logins = Vec::new();
    for i in 0..CONCURRENT_LOGINS {
        let phone = format!("09120000{i:02}");
        let body = serde_json::json!({"phone": phone, "password": PASSWORD, "full_name": "Bench", "consent": true});
        let response = client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await.unwrap();
        assert!(response.status().is_success(), "register {}", response.status());
        logins.push(phone);
    }

    let deadline = Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for phone in logins {
        let (client, base) = (client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&serde_json::json!({"login": phone, "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let categories = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let response = client.get(format!("{base}/api/v1/categories")).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
                latencies.push(start.elapsed());
                tokio::time::sleep(CATEGORY_PAUSE).await;
            }
            latencies
        })
    };
    let mut login_latencies = Vec::new();
    for task in tasks {
        login_latencies.extend(task.await.unwrap());
    }
    let mut category_latencies = categories.await.unwrap();

    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let (login_p50, login_p99) = (percentile(&mut login_latencies, 0.5), percentile(&mut login_latencies, 0.99));
    let categories_p99 = percentile(&mut category_latencies, 0.99);
    let throughput = login_latencies.len() as f64 / RUN_FOR.as_secs_f64();
    println!("auth_load on {backend}, {} cores, {hashers} concurrent hasher(s), {CONCURRENT_LOGINS} concurrent log-ins for {}s",
        std::thread::available_parallelism().map_or(1, |n| n.get()), RUN_FOR.as_secs());
    println!("  argon2id hash alone          p50 {:8.1} ms", ms(hash_p50));
    println!(
        "  log-in                       p50 {:8.1} ms   p99 {:8.1} ms   {:.1}/s = {:.2} x the raw hash rate",
        ms(login_p50),
        ms(login_p99),
        throughput,
        throughput / (hashers as f64 / hash_p50.as_secs_f64())
    );
    println!("  categories query, raw DB     p99 {:8.2} ms", ms(raw_categories_p99));
    println!(
        "  GET /api/v1/categories meanwhile p99 {:8.2} ms = {:.1} x raw ({})",
        ms(categories_p99),
        ms(categories_p99) / ms(raw_categories_p99),
        if categories_p99 < Duration::from_millis(50) { "under the 50 ms target" } else { "OVER the 50 ms target" }
    );
    let _ = std::fs::remove_dir_all(data_dir);
}
