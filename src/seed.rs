//! Reference data seeded on start: the national list of administrative units (embedded in the binary,
//! so the server needs no files beside it), a starter set of report categories, and the working calendar's
//! announced days off and worked weekend days (the 2026 notice, until an administrator enters the next).
//!
//! Seeding only adds what is missing, so it runs on every start and never duplicates or overwrites.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::categories::CategoryRow;
use crate::db::schema::{admin_units, categories};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::text::fold;
use crate::units::{UnitKind, UnitRow};
use crate::values::province::UNITS_CSV;

/// The two-tier local government took effect on this day (Resolution 202/2025/QH15).
fn reform_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("a valid date")
}

/// Batches stay well under both databases' limits on bind parameters.
const INSERT_BATCH: usize = 400;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub units_added: usize,
    pub categories_added: usize,
    pub calendar_days_added: usize,
}

/// Parses the embedded list: provinces first (parents before children), then communes in code order.
pub fn unit_rows() -> Result<Vec<UnitRow>, AppError> {
    let bad = |line: usize, why: &str| AppError::Internal(format!("seed/vn-admin-units-2025.csv line {line}: {why}"));
    let mut reader = csv::Reader::from_reader(UNITS_CSV.as_bytes());
    let mut provinces: BTreeMap<String, UnitRow> = BTreeMap::new();
    let mut communes = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|err| bad(line, &err.to_string()))?;
        let field = |i: usize| record.get(i).map(str::trim).ok_or_else(|| bad(line, "missing column"));
        let number = |i: usize| field(i)?.parse::<f64>().map_err(|_| bad(line, "not a number"));
        let optional_number = |i: usize| match field(i)? {
            "" => Ok(None),
            _ => number(i).map(Some),
        };
        let (province_code, province_name) = (field(0)?, field(1)?);
        let kind = match field(6)? {
            "Phường" => UnitKind::Ward,
            "Xã" => UnitKind::Commune,
            "Đặc khu" => UnitKind::SpecialZone,
            other => return Err(bad(line, &format!("unknown unit type {other:?}"))),
        };
        let province = provinces.entry(province_code.to_string()).or_insert_with(|| UnitRow {
            code: province_code.to_string(),
            parent_code: None,
            level: 1,
            kind: if province_name.starts_with("Thành phố") { UnitKind::Municipality } else { UnitKind::Province }
                .as_str()
                .to_string(),
            name: province_name.to_string(),
            search_name: fold(province_name),
            lat: 0.0,
            lon: 0.0,
            area_km2: Some(0.0),
            valid_from: reform_date(),
            valid_to: None,
            successor_code: None,
        });
        province.lat = number(2)?;
        province.lon = number(3)?;
        let area_km2 = optional_number(9)?;
        // The list gives no province areas; a province is exactly the sum of its communes, and unknown
        // when one of them is.
        province.area_km2 = province.area_km2.zip(area_km2).map(|(sum, area)| sum + area);
        communes.push(UnitRow {
            code: field(4)?.to_string(),
            parent_code: Some(province_code.to_string()),
            level: 2,
            kind: kind.as_str().to_string(),
            name: field(5)?.to_string(),
            search_name: fold(field(5)?),
            lat: number(7)?,
            lon: number(8)?,
            area_km2,
            valid_from: reform_date(),
            valid_to: None,
            successor_code: None,
        });
    }
    let mut rows: Vec<UnitRow> = provinces.into_values().collect();
    for province in &mut rows {
        province.area_km2 = province.area_km2.map(|area| (area * 100.0).round() / 100.0);
    }
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    rows.extend(communes);
    Ok(rows)
}

/// The starter categories; a province edits or extends them later.
pub fn category_rows() -> Vec<CategoryRow> {
    // (code, Vietnamese, English, handled by, working days to resolve, urgent allowed). On-the-spot fixes
    // (lighting, sanitation, public order) take 3 working days as in Đà Nẵng's 1022 rules; the rest the
    // 10 of the Law on Citizen Reception (Art. 28.1), extensible to 15 where offices must coordinate (as
    // TP.HCM's 1022 allows). Triage within one working day (8 office hours); urgent reports within a day.
    const STARTER: &[(&str, &str, &str, &str, i32, bool)] = &[
        ("roads", "Giao thông, đường sá", "Roads and traffic", "commune", 10, true),
        ("street_lighting", "Chiếu sáng công cộng", "Street lighting", "commune", 3, false),
        ("waste", "Rác thải, vệ sinh môi trường", "Waste and sanitation", "commune", 3, false),
        ("drainage_flooding", "Thoát nước, ngập úng", "Drainage and flooding", "commune", 10, true),
        (
            "urban_order",
            "Trật tự đô thị, lấn chiếm vỉa hè",
            "Urban order and sidewalk encroachment",
            "commune",
            3,
            false,
        ),
        ("construction", "Trật tự xây dựng", "Construction without permit", "commune", 10, false),
        ("trees_parks", "Cây xanh, công viên", "Trees and parks", "commune", 10, true),
        ("security", "An ninh, trật tự", "Public security and order", "commune", 3, true),
        ("land", "Đất đai", "Land management", "commune", 10, false),
        ("administrative_procedures", "Thủ tục hành chính", "Administrative procedures", "commune", 10, false),
        ("water_supply", "Cấp nước sinh hoạt", "Water supply", "department", 10, true),
        ("electricity", "Điện", "Electricity", "department", 10, true),
        ("environment_pollution", "Ô nhiễm môi trường", "Environmental pollution", "department", 10, true),
        ("food_safety", "An toàn thực phẩm", "Food safety", "department", 10, true),
        ("public_health", "Y tế, dịch bệnh", "Public health", "department", 10, true),
        ("education", "Giáo dục", "Education", "department", 10, false),
        ("other", "Khác", "Other", "commune", 10, false),
    ];
    STARTER
        .iter()
        .zip(1..)
        .map(|(&(code, name_vi, name_en, handler_kind, resolve_days, urgent_allowed), sort_order)| CategoryRow {
            code: code.to_string(),
            name_vi: name_vi.to_string(),
            name_en: name_en.to_string(),
            handler_kind: handler_kind.to_string(),
            urgent_hours: 24,
            urgent_allowed,
            sort_order,
            active: true,
            accept_hours: 8,
            resolve_days,
            max_resolve_days: if resolve_days < 10 { 10 } else { 15 },
        })
        .collect()
}

/// Why the seeded calendar days are there, in their `reason`.
const NOTICE_REASON: &str = "Lịch nghỉ năm 2026 theo Thông báo 9441/TB-BNV của Bộ Nội vụ, nạp sẵn khi khởi tạo.";

/// Adds the reference rows the database lacks, in one transaction.
pub fn seed_reference_data(conn: &mut DbConnection) -> Result<SeedReport, AppError> {
    let units = unit_rows()?;
    let categories = category_rows();
    crate::db::transaction(conn, |conn| {
        let known_units: HashSet<String> =
            admin_units::table.select(admin_units::code).load(conn)?.into_iter().collect();
        let new_units: Vec<UnitRow> = units.into_iter().filter(|u| !known_units.contains(&u.code)).collect();
        for batch in new_units.chunks(INSERT_BATCH) {
            crate::insert_batch!(conn, admin_units::table, batch)?;
        }
        let known_categories: HashSet<String> =
            categories::table.select(categories::code).load(conn)?.into_iter().collect();
        let new_categories: Vec<CategoryRow> =
            categories.into_iter().filter(|c| !known_categories.contains(&c.code)).collect();
        if !new_categories.is_empty() {
            crate::insert_batch!(conn, categories::table, &new_categories)?;
        }
        let calendar_days_added =
            crate::calendar::store::add_missing(conn, &crate::calendar::notice_2026(), NOTICE_REASON)?;
        Ok(SeedReport { units_added: new_units.len(), categories_added: new_categories.len(), calendar_days_added })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_has_34_provinces_and_3321_communes() {
        let rows = unit_rows().unwrap();
        assert_eq!(rows.iter().filter(|r| r.level == 1).count(), 34);
        assert_eq!(rows.iter().filter(|r| r.level == 2).count(), 3321);
        let codes: HashSet<_> = rows.iter().map(|r| &r.code).collect();
        assert_eq!(codes.len(), rows.len(), "codes are unique");
        let hoan_kiem = rows.iter().find(|r| r.code == "00070").unwrap();
        assert_eq!((hoan_kiem.name.as_str(), hoan_kiem.search_name.as_str()), ("Phường Hoàn Kiếm", "phuong hoan kiem"));
        assert_eq!(hoan_kiem.parent_code.as_deref(), Some("01"));
        let hanoi = rows.iter().find(|r| r.code == "01").unwrap();
        assert_eq!(hanoi.kind, "municipality");
    }

    #[test]
    fn starter_categories_are_distinct_and_bilingual() {
        let rows = category_rows();
        assert!(rows.len() >= 15);
        let codes: HashSet<_> = rows.iter().map(|r| &r.code).collect();
        assert_eq!(codes.len(), rows.len());
        assert!(rows.iter().all(|r| !r.name_vi.is_empty()
            && !r.name_en.is_empty()
            && r.resolve_days > 0
            && r.max_resolve_days >= r.resolve_days));
    }
}
