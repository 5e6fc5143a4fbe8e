//! Locating one point among the boundaries of all 3,321 communes (in-memory R-tree, then an exact
//! point-in-polygon test), next to the nearest-centroid scan positions outside every boundary fall back to.
//!
//! Run: `cargo run --release --example locate`. The boundaries are synthetic (a square of each commune's
//! area around its centroid); real ones have more vertices, which only the final exact test sees.

use std::time::Instant;

use congdanso::config::Settings;
use congdanso::routing::locator::UnitLocator;
use congdanso::routing::{locate_commune, Position};
use congdanso::units::LatLon;
use geo::{LineString, MultiPolygon, Polygon};
use rand::Rng;

const LOOKUPS: usize = 1_000_000;
const QUERIES: usize = 2_000;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let communes: Vec<_> = congdanso::seed::unit_rows().unwrap().into_iter().filter(|u| u.level == 2).collect();
    let shapes = communes
        .iter()
        .map(|unit| {
            let half_km = unit.area_km2.unwrap_or(30.0).sqrt() / 2.0;
            let (dlat, dlon) = (half_km / 111.32, half_km / (111.32 * unit.lat.to_radians().cos()));
            let (x0, x1, y0, y1) = (unit.lon - dlon, unit.lon + dlon, unit.lat - dlat, unit.lat + dlat);
            let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
            (unit.code.clone(), MultiPolygon(vec![Polygon::new(ring, vec![])]))
        })
        .collect();
    let built = Instant::now();
    let locator = UnitLocator::new(shapes);
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;

    let mut rng = rand::thread_rng();
    let points: Vec<(f64, f64)> = (0..LOOKUPS)
        .map(|_| {
            let unit = &communes[rng.gen_range(0..communes.len())];
            (unit.lon + rng.gen_range(-0.02..0.02), unit.lat + rng.gen_range(-0.02..0.02))
        })
        .collect();
    let started = Instant::now();
    let found = points.iter().filter(|(lon, lat)| locator.locate(*lon, *lat).is_some()).count();
    let tree_ns = started.elapsed().as_nanos() as f64 / LOOKUPS as f64;

    // The nearest-centroid scan (what positions fall back to) over the kept reference data of a fresh SQLite file.
    let dir = std::env::temp_dir().join(format!("congdanso-locate-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let settings = Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone())).unwrap();
    let db = congdanso::db::Db::new(&settings).unwrap();
    congdanso::startup::prepare_database(db.clone()).await.unwrap();
    let reference = congdanso::reference::current(&mut db.get().unwrap()).unwrap();
    let empty = UnitLocator::default();
    let started = Instant::now();
    for (lon, lat) in points.iter().take(QUERIES) {
        let position = Position::parse(LatLon { lat: *lat, lon: *lon }, "p").unwrap();
        let _ = locate_commune(&reference, position, &settings.service_area, &empty);
    }
    let query_ns = started.elapsed().as_nanos() as f64 / QUERIES as f64;
    let _ = std::fs::remove_dir_all(dir);

    println!("locate among {} commune boundaries (R-tree built in {build_ms:.1} ms)", locator.len());
    println!(
        "  R-tree + point-in-polygon   {:8.2} µs per point  ({found} of {LOOKUPS} points inside a boundary)",
        tree_ns / 1000.0
    );
    println!("  nearest centroid           {:8.2} µs per point", query_ns / 1000.0);
    println!("  ratio                       {:8.1} x faster by boundary", query_ns / tree_ns);
}
