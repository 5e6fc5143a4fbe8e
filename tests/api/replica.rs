//! A read replica (`CDS_DATABASE_READ_URL`): a real PostgreSQL streaming replica of the test database,
//! started by `.ci/replica.sh` (`TEST_REPLICA_ADDRESS`). Public reads come from it and show its lag;
//! what must see its own writes comes from the primary. PostgreSQL only: SQLite has no replicas.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::json;

use crate::common::{assert_problem, report_at, Backend, Report, TestApp, TestDb, DA_LAT};

/// `host:port` of a streaming replica of `TEST_DATABASE_URL`'s server (`.ci/replica.sh`).
fn replica_address() -> Option<String> {
    crate::common::outside_service(
        "TEST_REPLICA_ADDRESS",
        "the read-replica test",
        "Start one with `bash .ci/replica.sh`, then TEST_REPLICA_ADDRESS=127.0.0.1:5433 cargo test",
    )
}

/// The replica, seen from the test: how far it has replayed the primary's log, and a pause of its replay.
struct Standby {
    primary: PgConnection,
    replica: PgConnection,
}

#[derive(diesel::QueryableByName)]
struct Answer {
    #[diesel(sql_type = diesel::sql_types::Text)]
    answer: String,
}

fn ask(conn: &mut PgConnection, sql: &str) -> String {
    diesel::sql_query(sql).get_result::<Answer>(conn).expect(sql).answer
}

impl Standby {
    fn connect(primary_url: &str, replica_url: &str) -> Standby {
        let mut replica = PgConnection::establish(replica_url).expect("connect to the replica");
        // A run that failed while paused would leave the replica behind for good.
        ask(&mut replica, "SELECT pg_wal_replay_resume()::text AS answer");
        Standby { primary: PgConnection::establish(primary_url).expect("connect to the primary"), replica }
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    async fn catch_up(&mut self) {
        let written = ask(&mut self.primary, "SELECT pg_current_wal_lsn()::text AS answer");
        let replayed = format!("SELECT (pg_last_wal_replay_lsn() >= '{written}'::pg_lsn)::text AS answer");
        let deadline = Instant::now() + Duration::from_secs(30);
        while ask(&mut self.replica, &replayed) != "true" {
            assert!(Instant::now() < deadline, "the replica did not replay up to {written} within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the replica's replay: from now on it lags; [`Standby::resume`] (or a failed test) ends it.
    async fn pause(&mut self) -> Paused<'_> {
        ask(&mut self.replica, "SELECT pg_wal_replay_pause()::text AS answer");
        let deadline = Instant::now() + Duration::from_secs(30);
        while ask(&mut self.replica, "SELECT pg_get_wal_replay_pause_state() AS answer") != "paused" {
            assert!(Instant::now() < deadline, "the replica's replay did not pause within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Paused(self)
    }
}

struct Paused<'a>(&'a mut Standby);

impl Paused<'_> {
    fn resume(self) {}
}

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        ask(&mut self.0.replica, "SELECT pg_wal_replay_resume()::text AS answer");
    }
}

fn ids(reports: &[Report]) -> Vec<&str> {
    reports.iter().map(|r| r.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_reads_come_from_the_replica_and_the_reporter_reads_the_primary() {
    let Some(replica_address) = replica_address() else { return };
    let Some(db) = TestDb::create(Backend::Postgres) else { return };
    let (primary_url, replica_url) = (db.url.clone(), db.url_via(&replica_address));
    let app = TestApp::spawn_on(db, &primary_url, &[("CDS_DATABASE_READ_URL", replica_url.as_str())]).await;
    let servers = app.servers();
    let mut standby = Standby::connect(&primary_url, &replica_url);
    let near = format!("?near={},{}&radius_m=500", DA_LAT.0, DA_LAT.1);

    let admin = app.admin_token().await;
    let citizen = app.citizen("0912345678").await;
    let first = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let ward = app.official_of(&admin, &first.organization_id, "phuong@dalat.gov.vn", "vi").await;
    standby.catch_up().await;
    assert_eq!(ids(&app.reports(&near).await.items), [first.id.as_str()]);

    // The replica lags: a report filed now is on the primary only.
    let paused = standby.pause().await;
    let second = app.file_report(&citizen, &report_at(DA_LAT, json!({"category": "waste"}))).await;

    // Who must see their own writes reads the primary: the reporter (their report and their list) and
    // the officials working it.
    let own: serde_json::Value = app.get_json_as(&citizen.token, &format!("/api/v1/reports/{}", second.id)).await;
    assert_eq!(own["id"], second.id.as_str());
    let mine = app.get_as(&citizen.token, "/api/v1/me/reports").await.json::<crate::common::Reports>().await.unwrap();
    assert_eq!(ids(&mine.items), [second.id.as_str(), first.id.as_str()]);
    assert_eq!(ids(&app.inbox(&ward.token, "").await.items), [second.id.as_str(), first.id.as_str()]);
    // A signed-in neighbour whom the replica cannot show it yet is shown it from the primary.
    let neighbour = app.citizen("0987654321").await;
    let seen: serde_json::Value = app.get_json_as(&neighbour.token, &format!("/api/v1/reports/{}", second.id)).await;
    assert_eq!(seen["id"], second.id.as_str());

    // Everyone else reads the replica, as it was when it paused: the map and the link do not show it yet.
    assert_eq!(ids(&app.reports(&near).await.items), [first.id.as_str()]);
    assert_problem(app.get(&format!("/api/v1/reports/{}", second.id)).await, 404, "report_not_found").await;
    let open311 = app.get_json("/open311/v2/requests.json").await;
    assert_eq!(open311.as_array().unwrap().len(), 1, "{open311}");

    // Once the replica has caught up, they do.
    paused.resume();
    standby.catch_up().await;
    assert_eq!(ids(&app.reports(&near).await.items), [second.id.as_str(), first.id.as_str()]);
    let public = app.get_json(&format!("/api/v1/reports/{}", second.id)).await;
    assert_eq!(public["id"], second.id.as_str());
    servers.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_primary_while_the_replica_is_unreachable() {
    let Some(db) = TestDb::create(Backend::Postgres) else { return };
    // Nothing listens on port 9 (discard): the replica is down.
    let (primary_url, replica_url) = (db.url.clone(), db.url_via("127.0.0.1:9"));
    let app = TestApp::spawn_on(db, &primary_url, &[("CDS_DATABASE_READ_URL", replica_url.as_str())]).await;
    let servers = app.servers();

    let citizen = app.citizen("0912345678").await;
    let report = app.file_report(&citizen, &report_at(DA_LAT, json!({}))).await;
    let near = format!("?near={},{}&radius_m=500", DA_LAT.0, DA_LAT.1);
    assert_eq!(ids(&app.reports(&near).await.items), [report.id.as_str()]);
    let public = app.get_json(&format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(public["id"], report.id.as_str());
    servers.stop().await;
}
