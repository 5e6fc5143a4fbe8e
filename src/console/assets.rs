//! The console's page, script, style, fonts and map library, compiled into the binary: nothing to install
//! beside it and nothing fetched from elsewhere at run time (the map's tiles excepted, from the server the
//! province names in `CDS_CONSOLE_MAP_TILES`).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::api::state::AppState;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $path)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.js", "text/javascript; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8"),
    asset!("vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
    asset!("vendor/leaflet/images/marker-icon.png", "image/png"),
    asset!("vendor/leaflet/images/marker-icon-2x.png", "image/png"),
    asset!("vendor/leaflet/images/marker-shadow.png", "image/png"),
    asset!("vendor/noto-sans/noto-sans-latin-400-normal.woff2", "font/woff2"),
    asset!("vendor/noto-sans/noto-sans-latin-700-normal.woff2", "font/woff2"),
    asset!("vendor/noto-sans/noto-sans-vietnamese-400-normal.woff2", "font/woff2"),
    asset!("vendor/noto-sans/noto-sans-vietnamese-700-normal.woff2", "font/woff2"),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(index))
        .route("/", web::get().to(index))
        .route("/config.json", web::get().to(config))
        .route("/{path:.*}", web::get().to(file));
}

/// The policy every console response carries: only the console's own script and style run (none
/// inline), only its own origin is called, no page may frame it; images may also come from the map's
/// tile server and from photos fetched with the access token (`blob:`).
pub fn content_security_policy(tiles: &str) -> String {
    let tile_origin = tile_origin(tiles).map(|origin| format!(" {origin}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{tile_origin}; \
         font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `https://tile.openstreetmap.org` of `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
fn tile_origin(tiles: &str) -> Option<&str> {
    let after_scheme = tiles.find("://")? + 3;
    let end = tiles[after_scheme..].find('/').map_or(tiles.len(), |i| after_scheme + i);
    let origin = &tiles[..end];
    origin.chars().all(|c| c.is_ascii_alphanumeric() || ".:/-".contains(c)).then_some(origin)
}

async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, 0)
}

async fn file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().position(|asset| asset.path == path.as_str()) {
        Some(index) => serve(&req, index),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"),
    }
}

/// The page's own settings: where map tiles come from, and their attribution.
async fn config(state: web::Data<AppState>) -> HttpResponse {
    let settings = &state.settings;
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(serde_json::json!({
        "map_tiles": settings.console_map_tiles,
        "map_attribution": settings.console_map_attribution,
    }))
}

/// Each asset's validator, in `ASSETS`' order: its bytes never change while the binary runs.
fn etag(index: usize) -> &'static str {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| {
        let hex = |digest: &[u8]| digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>();
        ASSETS.iter().map(|asset| format!("\"{}\"", hex(&Sha256::digest(asset.bytes)))).collect()
    });
    &etags[index]
}

/// Served with a validator, so a slow link fetches the script once per release, not once per visit.
fn serve(req: &HttpRequest, index: usize) -> HttpResponse {
    let (asset, etag) = (&ASSETS[index], etag(index));
    let matches = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag);
    let mut response = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header((header::ETAG, etag)).insert_header((header::CACHE_CONTROL, "no-cache"));
    if matches {
        return response.finish();
    }
    response.content_type(asset.content_type).body(asset.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_only_the_tile_servers_origin() {
        let csp = content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png");
        assert!(csp.contains("img-src 'self' blob: data: https://tile.openstreetmap.org;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(!content_security_policy("").contains("img-src 'self' blob: data: ;"));
        assert_eq!(tile_origin("https://tiles.example; script-src *"), None);
    }
}
