//! The export's formats, written a page at a time: what comes before the first row, each page of rows,
//! and what closes the file.

use serde::Serialize;
use serde_json::json;

use super::{OpenReport, COLUMNS};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, UTF-8, a header row of [`COLUMNS`].
    Csv,
    /// One FeatureCollection of points (RFC 7946).
    GeoJson,
    /// One JSON object per line.
    NdJson,
}

/// Names the licence a file is published under, as the province chose it.
#[derive(Debug, Clone, Serialize)]
pub struct License {
    pub name: String,
    pub url: String,
}

impl Format {
    pub const EXTENSIONS: &'static [&'static str] = &["csv", "geojson", "ndjson"];

    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "csv" => Some(Format::Csv),
            "geojson" => Some(Format::GeoJson),
            "ndjson" => Some(Format::NdJson),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::NdJson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::GeoJson => "application/geo+json",
            Format::NdJson => "application/x-ndjson",
        }
    }

    /// What comes before the first row.
    pub fn head(self, license: &License) -> Vec<u8> {
        match self {
            Format::Csv => format!("{}\n", COLUMNS.join(",")).into_bytes(),
            Format::GeoJson => {
                let license = serde_json::to_string(license).unwrap_or_default();
                format!("{{\"type\":\"FeatureCollection\",\"license\":{license},\"features\":[\n").into_bytes()
            }
            Format::NdJson => Vec::new(),
        }
    }

    /// A page of rows; `first` when no row was written before it (GeoJSON separates features by commas).
    pub fn rows(self, reports: &[OpenReport], first: bool) -> Result<Vec<u8>, AppError> {
        let failed = |err: &dyn std::fmt::Display| AppError::Internal(format!("open data: {err}"));
        let mut out = Vec::with_capacity(reports.len() * 400);
        match self {
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(&mut out);
                for report in reports {
                    writer.serialize(report).map_err(|err| failed(&err))?;
                }
                writer.flush().map_err(|err| failed(&err))?;
            }
            Format::GeoJson => {
                for (index, report) in reports.iter().enumerate() {
                    if !(first && index == 0) {
                        out.extend_from_slice(b",\n");
                    }
                    let feature = json!({
                        "type": "Feature",
                        "id": report.id,
                        "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
                        "properties": report,
                    });
                    serde_json::to_writer(&mut out, &feature).map_err(|err| failed(&err))?;
                }
            }
            Format::NdJson => {
                for report in reports {
                    serde_json::to_writer(&mut out, report).map_err(|err| failed(&err))?;
                    out.push(b'\n');
                }
            }
        }
        Ok(out)
    }

    /// What closes the file.
    pub fn tail(self) -> Vec<u8> {
        match self {
            Format::GeoJson => b"\n]}\n".to_vec(),
            Format::Csv | Format::NdJson => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::ReportId;

    fn report(id: &str) -> OpenReport {
        OpenReport {
            id: ReportId::from(id),
            received_at: "2026-12-01T03:00:00Z".into(),
            category: "waste".into(),
            category_name: "Rác thải, vệ sinh môi trường".into(),
            status: "submitted".into(),
            description: "Rác, \"nhiều\", ở góc đường".into(),
            address_text: None,
            unit_code: "24748".into(),
            unit_name: "Phường Lâm Viên - Đà Lạt".into(),
            province_code: "68".into(),
            organization: Some("UBND".into()),
            lat: 11.94,
            lon: 108.458,
            urgent: false,
            supporters: 2,
            due_at: None,
            resolved_at: None,
            resolved_on_time: None,
            rating: None,
        }
    }

    fn whole(format: Format, pages: &[&[OpenReport]]) -> String {
        let license = License { name: "CC BY 4.0".into(), url: "https://creativecommons.org/licenses/by/4.0/".into() };
        let mut bytes = format.head(&license);
        for (index, page) in pages.iter().enumerate() {
            bytes.extend(format.rows(page, index == 0).unwrap());
        }
        bytes.extend(format.tail());
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn geojson_pages_join_into_one_valid_feature_collection() {
        let text = whole(Format::GeoJson, &[&[report("a"), report("b")], &[report("c")], &[]]);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["features"].as_array().unwrap().len(), 3);
        assert_eq!(parsed["features"][2]["geometry"]["coordinates"], json!([108.458, 11.94]));
        assert_eq!(parsed["license"]["name"], "CC BY 4.0");
        let empty: serde_json::Value = serde_json::from_str(&whole(Format::GeoJson, &[&[]])).unwrap();
        assert_eq!(empty["features"], json!([]));
    }

    #[test]
    fn csv_quotes_what_needs_it_and_ndjson_is_a_line_each() {
        let csv = whole(Format::Csv, &[&[report("a")], &[report("b")]]);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][5], "Rác, \"nhiều\", ở góc đường");
        let ndjson = whole(Format::NdJson, &[&[report("a"), report("b")]]);
        assert_eq!(ndjson.lines().count(), 2);
    }
}
