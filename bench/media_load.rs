//! Photo uploads that are heavy to decode: the server's memory (RSS) and the latency of a cheap GET while
//! 8 clients upload them, each as a ratio to the same figures with the server idle.
//!
//! The server runs as its own process (the release binary, on SQLite in a temporary folder), so its RSS
//! is its own. Each client uploads in turn: the review's 7000 × 7000 16-bit RGBA PNG of 381 KB (392 MB
//! decoded: refused from its header), the largest 16-bit RGBA PNG the default limit allows (3600 × 3600,
//! 104 MB decoded, really decoded), and a smooth 6000 × 4000 JPEG (decoded at 1/8).
//!
//! Run: `cargo build --release --bin congdanso && cargo run --release --example media_load`

use std::io::Cursor;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};

const CLIENTS: usize = 8;
const RUN_FOR: Duration = Duration::from_secs(20);
const IDLE_FOR: Duration = Duration::from_secs(10);
const CATEGORY_PAUSE: Duration = Duration::from_millis(20);
const TARGET_RSS_MB: f64 = 300.0;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A field of /proc/PID/status in MB (VmRSS: now; VmHWM: the peak so far).
fn status_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let kb: f64 = status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix("kB")?.trim().parse().ok()
        })
        .expect("field in /proc status");
    kb / 1024.0
}

fn rgba16_png(side: u32) -> Vec<u8> {
    let image = image::ImageBuffer::<image::Rgba<u16>, _>::new(side, side);
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba16(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

fn big_jpeg() -> Vec<u8> {
    // A smooth picture: about 1 MB, so what is measured is decoding, not holding many large request bodies.
    let image = image::RgbImage::from_fn(6000, 4000, |x, y| image::Rgb([(x / 24) as u8, (y / 16) as u8, 128]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg).unwrap();
    bytes
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET /api/v1/categories` every 20 ms until `stop`: the cheap request whose latency should not suffer.
async fn categories_until(client: reqwest::Client, base: String, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let response = client.get(format!("{base}/api/v1/categories")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        latencies.push(start.elapsed());
        tokio::time::sleep(CATEGORY_PAUSE).await;
    }
    latencies
}

async fn upload(client: &reqwest::Client, base: &str, token: &str, file: &[u8]) -> (u16, serde_json::Value) {
    let part = Part::bytes(file.to_vec()).file_name("photo");
    let response = client
        .post(format!("{base}/api/v1/media"))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Samples VmRSS every 20 ms until `stop`; returns the highest.
async fn peak_rss_until(pid: u32, stop: Arc<AtomicBool>) -> f64 {
    let mut peak: f64 = 0.0;
    while !stop.load(Ordering::Relaxed) {
        peak = peak.max(status_mb(pid, "VmRSS"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peak
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let binary = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("congdanso");
    assert!(binary.exists(), "build the server first: cargo build --release --bin congdanso");
    let data_dir = std::env::temp_dir().join(format!("congdanso-bench-{}", uuid::Uuid::now_v7().simple()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server(
        Command::new(&binary)
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", format!("sqlite://{}", data_dir.join("bench.db").display()))
            .env("CDS_BIND", format!("127.0.0.1:{port}"))
            .env("CDS_DATA_DIR", data_dir.display().to_string())
            .env("CDS_AUTH_RATE_LIMIT", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/health/ready")).send().await.map_or(true, |r| !r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (refused_png, allowed_png, jpeg) = (rgba16_png(7000), rgba16_png(3600), big_jpeg());
    let body = serde_json::json!({"phone": "0912000000", "password": "đèn đường hỏng 2026", "full_name": "Bench", "consent": true});
    let registered: serde_json::Value =
        client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await.unwrap().json().await.unwrap();
    let token = registered["access_token"].as_str().expect("a token").to_string();

    // Idle: after one upload of each kind (so allocator and thread pools are warm), nothing but the cheap GET.
    for file in [&allowed_png, &jpeg] {
        let (status, body) = upload(&client, &base, &token, file).await;
        assert_eq!(status, 201, "warm-up upload: {body}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let idle_gets = tokio::spawn(categories_until(client.clone(), base.clone(), stop.clone()));
    let idle_rss = tokio::spawn(peak_rss_until(pid, stop.clone()));
    tokio::time::sleep(IDLE_FOR).await;
    stop.store(true, Ordering::Relaxed);
    let mut idle_latencies = idle_gets.await.unwrap();
    let idle_rss = idle_rss.await.unwrap();
    let idle_p99 = percentile(&mut idle_latencies, 0.99);

    // Load: 8 clients upload without pause, the cheap GET and RSS sampling go on meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let gets = tokio::spawn(categories_until(client.clone(), base.clone(), stop.clone()));
    let rss = tokio::spawn(peak_rss_until(pid, stop.clone()));
    let files = Arc::new([refused_png, allowed_png, jpeg]);
    let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let deadline = Instant::now() + RUN_FOR;
    let uploaders: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, base, token, files, counts) =
                (client.clone(), base.clone(), token.clone(), files.clone(), counts.clone());
            tokio::spawn(async move {
                let mut n = i;
                while Instant::now() < deadline {
                    let which = n % 3;
                    n += 1;
                    let (status, body) = upload(&client, &base, &token, &files[which]).await;
                    match (which, status) {
                        (0, 422) => assert_eq!(body["errors"][0]["code"], "too_many_decoded_bytes"),
                        (1 | 2, 201) => {}
                        other => panic!("unexpected answer {other:?}: {body}"),
                    }
                    counts[which].fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for uploader in uploaders {
        uploader.await.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let mut load_latencies = gets.await.unwrap();
    let load_rss = rss.await.unwrap();
    let peak_hwm = status_mb(pid, "VmHWM");
    let load_p99 = percentile(&mut load_latencies, 0.99);
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);

    let [refused, allowed, jpegs] = [0, 1, 2].map(|i| counts[i].load(Ordering::Relaxed));
    println!(
        "media_load on sqlite, {} cores, {CLIENTS} clients uploading for {}s: {refused} 7000² 16-bit PNGs (refused), \
         {allowed} 3600² 16-bit PNGs and {jpegs} 6000×4000 JPEGs (stored)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        RUN_FOR.as_secs()
    );
    println!("  server RSS idle               {idle_rss:8.1} MB");
    println!(
        "  server RSS peak under load    {load_rss:8.1} MB = {:.1} x idle (VmHWM over the whole run {peak_hwm:.1} MB; {})",
        load_rss / idle_rss,
        if peak_hwm < TARGET_RSS_MB { "under the 300 MB target" } else { "OVER the 300 MB target" }
    );
    println!("  GET /api/v1/categories idle   p99 {:8.2} ms", ms(idle_p99));
    println!("  GET /api/v1/categories loaded p99 {:8.2} ms = {:.1} x idle", ms(load_p99), ms(load_p99) / ms(idle_p99));
}
