//! The `congdanso` binary itself: settings errors, migrate, create-admin, openapi, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

use crate::common::{Backend, TestDb};

fn congdanso(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_congdanso"));
    // Only what the test says: a DATABASE_URL in the developer's shell must not leak in.
    command.env_clear().env("CDS_LOG_FORMAT", "json").envs(env.iter().copied());
    command
}

/// A folder of its own under the system's temporary one (not created).
fn fresh_folder() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("congdanso-cli-{}", uuid::Uuid::now_v7().simple()))
}

fn run(command: &mut Command, stdin: &str) -> Output {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    for (var, value) in [
        ("DATABASE_URL", "nonsense"),
        ("CDS_BIND", "everywhere"),
        ("CDS_DB_POOL_SIZE", "0"),
        ("CDS_PROVINCES", "68,00"),
    ] {
        let output = run(&mut congdanso(&[(var, value)]), "");
        assert_eq!(output.status.code(), Some(2), "{var}={value}");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with(&format!("error: {var}: ")), "{stderr}");
    }
}

#[test]
fn an_unreachable_database_is_named() {
    let output = run(
        &mut congdanso(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"), ("CDS_DB_TIMEOUT_SECS", "1")]),
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.lines().last().unwrap().starts_with("error: DATABASE_URL: "), "{stderr}");
}

#[test]
fn openapi_prints_the_committed_contract() {
    let output = run(congdanso(&[]).arg("openapi"), "");
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), include_str!("../../api-spec/openapi.yaml"));
}

fn migrate_and_create_admin(db: TestDb) {
    let data_dir = fresh_folder();
    let env = [("DATABASE_URL", db.url.as_str()), ("CDS_DATA_DIR", data_dir.to_str().unwrap())];

    let first = run(congdanso(&env).arg("migrate"), "");
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout).trim(), "database ready: 3355 units, 17 categories and 4 calendar days added");
    let again = run(congdanso(&env).arg("migrate"), "");
    assert_eq!(text(&again.stdout).trim(), "database ready: 0 units, 0 categories and 0 calendar days added");

    let created = run(congdanso(&env).args(["create-admin", "--email", " Admin@Tinh.gov.vn "]), "mat-khau-quan-tri\n");
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stdout = text(&created.stdout);
    assert!(stdout.starts_with("created administrator admin@tinh.gov.vn ("), "{stdout}");
    assert!(!stdout.contains("mat-khau-quan-tri"), "a given password is never echoed");

    let duplicate = run(congdanso(&env).args(["create-admin", "--email", "admin@tinh.gov.vn"]), "another-password\n");
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(text(&duplicate.stderr).contains("an account with admin@tinh.gov.vn exists"));

    let generated = run(congdanso(&env).args(["create-admin", "--email", "it@tinh.gov.vn"]), "");
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let password_line = text(&generated.stdout).lines().find(|l| l.starts_with("password")).map(str::to_string);
    let password = password_line.expect("a generated password is printed").rsplit(' ').next().unwrap().to_string();
    assert_eq!(password.len(), 20);

    let short = run(congdanso(&env).args(["create-admin", "--email", "x@tinh.gov.vn"]), "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("8 to 128 characters"));

    let bad_email = run(congdanso(&env).args(["create-admin", "--email", "not-an-email"]), "");
    assert_eq!(bad_email.status.code(), Some(2));
    assert!(text(&bad_email.stderr).starts_with("error: --email: "));
    let _ = std::fs::remove_dir_all(data_dir);
}

mod migrate_and_create_admin {
    use super::*;

    #[test]
    fn sqlite() {
        migrate_and_create_admin(TestDb::create(Backend::Sqlite).unwrap());
    }

    #[test]
    fn postgres() {
        if let Some(db) = TestDb::create(Backend::Postgres) {
            migrate_and_create_admin(db);
        }
    }
}

#[test]
fn the_sqlite_file_is_created_with_its_folder() {
    let root = fresh_folder();
    let file = root.join("nested/deeper/congdanso.db");
    let url = format!("sqlite://{}", file.display());
    let output = run(congdanso(&[("DATABASE_URL", &url), ("CDS_DATA_DIR", root.to_str().unwrap())]).arg("migrate"), "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(file.is_file());
    let _ = std::fs::remove_dir_all(root);
}

/// Sends one HTTP/1.1 request and returns the whole response as text.
fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_first_start_creates_the_bootstrap_administrator_once() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let data_dir = fresh_folder();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("CDS_BIND", "127.0.0.1:0"),
        ("CDS_DATA_DIR", data_dir.to_str().unwrap()),
        ("CDS_BOOTSTRAP_ADMIN_EMAIL", "it@tinh.gov.vn"),
    ];
    let start = || serve(&env);

    let (mut child, port, _log) = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("bootstrap administrator it@tinh.gov.vn created; password"), "{line}");
    let password = line.trim().rsplit(' ').next().unwrap().to_string();
    let response =
        http(port, "POST", "/api/v1/auth/login", &format!(r#"{{"login":"it@tinh.gov.vn","password":"{password}"}}"#));
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains(r#""role":"admin""#));
    child.kill().unwrap();
    child.wait().unwrap();

    // Not on later starts: the users table is no longer empty.
    let (mut child, _, _log) = start();
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!text(&output.stdout).contains("bootstrap administrator"), "{}", text(&output.stdout));
    let _ = std::fs::remove_dir_all(data_dir);
}

#[test]
fn boundaries_imported_from_the_command_line_reach_a_running_server() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let data_dir = fresh_folder();
    let file = data_dir.join("boundaries.geojson");
    std::fs::create_dir_all(&data_dir).unwrap();
    // Ward 24781 of Đà Lạt, drawn as a square around a point 3 km north of its centroid.
    let (lat, lon) = (11.93, 108.443);
    let ring = [
        [lon - 0.01, lat - 0.01],
        [lon + 0.01, lat - 0.01],
        [lon + 0.01, lat + 0.01],
        [lon - 0.01, lat + 0.01],
        [lon - 0.01, lat - 0.01],
    ];
    let collection = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "24781"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "properties": {"code": "99999"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
    ]});
    std::fs::write(&file, collection.to_string()).unwrap();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("CDS_DATA_DIR", data_dir.to_str().unwrap()),
        ("CDS_BIND", "127.0.0.1:0"),
        ("CDS_BOUNDARY_CHECK_SECS", "1"),
    ];
    let locate = |port: u16| {
        http(port, "POST", "/api/v1/units/locate", &format!(r#"{{"position":{{"lat":{lat},"lon":{lon}}}}}"#))
    };
    let (mut child, port, mut log) = serve(&env);
    assert!(locate(port).contains(r#""approximate":true"#), "no boundary yet");

    let output = run(congdanso(&env).arg("import-boundaries").arg(&file), "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("imported 1 boundaries"), "{stdout}");
    assert!(stdout.contains("feature #1 (99999): unknown_unit"), "{stdout}");
    let missing = run(congdanso(&env).arg("import-boundaries").arg(data_dir.join("nope.geojson")), "");
    assert_eq!(missing.status.code(), Some(2));

    // The running server notices the import at its next check, and a new one loads it at start-up.
    assert_eq!(wait_for_log(&mut log, "unit boundaries reloaded")["fields"]["units"], 1);
    let running = locate(port);
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, port, _log) = serve(&env);
    let restarted = locate(port);
    child.kill().unwrap();
    child.wait().unwrap();
    for response in [running, restarted] {
        assert!(response.contains(r#""code":"24781""#) && response.contains(r#""approximate":false"#), "{response}");
    }
    let _ = std::fs::remove_dir_all(data_dir);
}

/// Starts `congdanso serve` on a random port and returns it with the port read from its log.
fn serve(env: &[(&str, &str)]) -> (Child, u16, BufReader<std::process::ChildStderr>) {
    // stdout is piped for the tests that read it (the bootstrap password); the server writes little there.
    let mut child = congdanso(env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let port = wait_for_log(&mut log, "serving")["fields"]["port"].as_u64().expect("port in the log") as u16;
    // The log pipe stays open while the server runs: a closed one would fail its writes.
    (child, port, log)
}

/// Reads JSON log lines until one whose message contains `needle`.
fn wait_for_log(log: &mut BufReader<std::process::ChildStderr>, needle: &str) -> serde_json::Value {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "the server exited before logging {needle:?}");
        if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) {
            if entry["fields"]["message"].as_str().is_some_and(|m| m.contains(needle)) {
                return entry;
            }
        }
    }
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let data_dir = fresh_folder();
    let (mut child, port, mut log) = serve(&[
        ("DATABASE_URL", &db.url),
        ("CDS_BIND", "127.0.0.1:0"),
        ("CDS_DATA_DIR", data_dir.to_str().unwrap()),
        ("RUST_LOG", "info,congdanso=debug"),
    ]);

    // Half a request: the server has begun handling it (it says so in its log) and waits for the body.
    let body = br#"{"position":{"lat":11.9404,"lon":108.4583}}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/v1/units/locate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    stream.flush().unwrap();
    wait_for_log(&mut log, "request received");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    wait_for_log(&mut log, "SIGTERM");

    stream.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("\"approximate\":true"));

    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful stop exits 0, got {exit}");
    let _ = std::fs::remove_dir_all(data_dir);
}

#[test]
fn debug_logs_name_routes_and_parameters_but_no_personal_values() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let data_dir = fresh_folder();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("CDS_BIND", "127.0.0.1:0"),
        ("CDS_DATA_DIR", data_dir.to_str().unwrap()),
        ("RUST_LOG", "debug"),
    ];
    let (mut child, port, mut log) = serve(&env);

    let personal = ["10.762622", "106.660172", "0987654321", "Nguyễn", "Nguy%E1%BB%85n", "68ABCDEF"];
    http(port, "GET", "/api/v1/reports?near=10.762622,106.660172&radius_m=500", "");
    http(port, "GET", "/api/v1/reports/similar?lat=10.762622&lon=106.660172&category=den_duong", "");
    http(port, "GET", "/api/v1/admin/users?q=0987654321&role=citizen", "");
    http(port, "GET", "/api/v1/admin/users?q=Nguy%E1%BB%85n", "");
    http(port, "GET", "/api/v1/onboarding/68ABCDEF", "");
    http(port, "POST", "/api/v1/auth/login", r#"{"login":"0987654321","password":"x"}"#);
    child.kill().unwrap();
    let mut rest = String::new();
    log.read_to_string(&mut rest).unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(data_dir);

    for value in personal {
        assert!(!rest.contains(value), "{value} is in the log:\n{rest}");
    }
    // What is logged is enough to tell the requests apart.
    assert!(rest.contains(r#""http.route":"/api/v1/reports/similar""#), "{rest}");
    assert!(rest.contains(r#""http.query_params":"category,lat,lon""#), "{rest}");
    assert!(rest.contains(r#""http.query_params":"q,role""#), "{rest}");
    assert!(
        rest.contains(r#""error.code":"invalid_credentials""#) || rest.contains(r#""http.route":"/api/v1/auth/login""#)
    );
}
